// Group commit (issue 17 item 1): files written at about the same moment share one data sync and
// one directory sync. Each file is written at its temporary name by its own caller
// (util/durable_file's write_temporary); one thread then takes whatever is waiting, at most
// `max_files` and after at most `max_wait`, and for the whole batch:
//   1. syncs the data: one syncfs(2) of the file system (or one fdatasync(2) per file),
//   2. puts every file in place (rename or link),
//   3. fsyncs each directory concerned once,
// and only then completes each caller's handler on its own executor. So every file is durable
// before its caller hears success, as with write_durably, with a few syncs per batch instead of
// two per file. Fails closed: a failed sync fails every file it covered (their temporaries are
// removed), and the callers answer 451.
#pragma once
#include <boost/asio/any_completion_executor.hpp>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "util/durable_file.hpp"
#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace pw::util {

enum class DataSync {
  kFileSystem,  // one syncfs(2) per batch: every file of the batch in one go
  kEachFile,    // one fdatasync(2) per file (for a spool that shares its file system with heavy
                // unrelated writers, whose dirty pages syncfs would also have to write)
};

struct GroupSyncLimits {
  size_t max_files = 64;                  // files in one batch
  std::chrono::microseconds max_wait{0};  // how long a short batch waits for more files
  DataSync data_sync = DataSync::kFileSystem;
};

// A file written at its temporary name (util::write_temporary), not yet synced.
struct WrittenFile {
  DurableFile file;
  UniqueFd fd;
};

class GroupSync {
 public:
  using Handler = boost::asio::any_completion_handler<void(Result<void>)>;

  explicit GroupSync(GroupSyncLimits limits);
  ~GroupSync();
  GroupSync(const GroupSync&) = delete;
  GroupSync& operator=(const GroupSync&) = delete;

  // Makes `file` durable with whatever else is waiting; the handler runs on its associated
  // executor once the file is synced, in place and its directory synced, or has failed.
  template <class Token>
  auto async_commit(WrittenFile file, Token&& token) {
    return boost::asio::async_initiate<Token, void(Result<void>)>(
        [this](auto handler, WrittenFile f) { enqueue(std::move(f), Handler(std::move(handler))); },
        token, std::move(file));
  }

  // Finishes every file already waiting, then ends the thread; later commits fail. Idempotent.
  void stop();

  struct Stats {
    uint64_t batches = 0;
    uint64_t files = 0;
    uint64_t largest_batch = 0;
  };
  Stats stats() const;

 private:
  struct Pending {
    WrittenFile written;
    Handler handler;
    boost::asio::any_completion_executor executor;  // the handler's, with work tracked
  };

  void enqueue(WrittenFile file, Handler handler);
  void run();
  static void complete(Pending& pending, Result<void> result);

  GroupSyncLimits limits_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> waiting_;
  bool stopping_ = false;
  Stats stats_;
  std::thread thread_;
};

// The three steps above for one batch (the thread's work; public for the unit tests): returns one
// result per file, in order. Every file's descriptor is closed afterwards.
std::vector<Result<void>> commit_batch(std::vector<WrittenFile>& batch, DataSync data_sync);

}  // namespace pw::util
