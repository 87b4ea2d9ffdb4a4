// Group commit (issue 17 item 1): files written at about the same moment share one data sync and
// one directory sync. One thread takes whatever is waiting, at most `max_files` and after at
// most `max_wait`, and for the whole batch:
//   0. writes each file not yet written at its temporary name (util::write_temporary),
//   1. syncs the data: one syncfs(2) of the file system (or one fdatasync(2) per file),
//   2. puts every file in place (rename or link),
//   3. fsyncs each directory concerned once,
// and only then completes each caller's handler on its own executor. So every file is durable
// before its caller hears success, as with write_durably, with a few syncs per batch instead of
// two per file. Fails closed: a failed sync fails every file it covered (their temporaries are
// removed), and the callers answer 451.
#pragma once
#include <atomic>
#include <boost/asio/any_completion_executor.hpp>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string_view>
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
  // Empty files made ahead of need in `spare_dir` while the thread has nothing else to do, so
  // that a file's create (costly on ext4 without a journal, which scans for recently deleted
  // inodes) is off the batch's path; 0 = none. The spool removes leftovers at its next start.
  size_t spare_files = 0;
  std::filesystem::path spare_dir;
  bool make_spares = true;  // false: spares come only from files given back (give_back)
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

  // Makes a file of `parts` durable with whatever else is waiting: the group-commit thread
  // writes it at `file.tmp_path` (or into a spare) just before the batch's sync, so that the
  // caller makes no thread hop of its own and the files are created one at a time (concurrent
  // creates in one directory spin on its lock). The handler runs on its associated executor
  // once the file is synced, in place and its directory synced, or has failed. `parts` and
  // `tail` (bytes after the parts, in a file: a large message's body) must stay valid until then.
  template <class Token>
  auto async_write(DurableFile file, std::vector<std::string_view> parts, FileRange tail,
                   Token&& token) {
    return boost::asio::async_initiate<Token, void(Result<void>)>(
        [this](auto handler, DurableFile f, std::vector<std::string_view> p, FileRange t) {
          enqueue(Unwritten{std::move(f), std::move(p), t}, Handler(std::move(handler)));
        },
        token, std::move(file), std::move(parts), tail);
  }

  // Takes `file`, no longer needed by anyone (a delivered message's spool file), as a spare:
  // renamed into spare_dir and emptied, so that a later write needs no new inode (and the file
  // system frees none). False when the spares are full or the move fails: the caller removes
  // the file itself. Any thread.
  bool give_back(const std::filesystem::path& file);

  // Finishes every file already waiting, then ends the thread; later commits fail. Idempotent.
  void stop();

  struct Stats {
    uint64_t batches = 0;
    uint64_t files = 0;
    uint64_t largest_batch = 0;
    uint64_t spares_used = 0;
    uint64_t given_back = 0;
  };
  Stats stats() const;

 private:
  struct Unwritten {
    DurableFile file;
    std::vector<std::string_view> parts;
    FileRange tail;
  };
  struct Pending {
    Unwritten file;
    Handler handler;
    boost::asio::any_completion_executor executor;  // the handler's, with work tracked
  };

  struct Spare {
    std::filesystem::path path;
    UniqueFd fd;  // closed for a file given back: opened when it is written into
  };

  void enqueue(Unwritten file, Handler handler);
  void run();
  void make_spares(std::unique_lock<std::mutex>& lock);
  std::optional<Spare> take_spare();
  Result<WrittenFile> write(Unwritten& unwritten);
  std::vector<Result<void>> write_and_commit(std::vector<Pending>& batch);
  static void complete(Pending& pending, Result<void> result);

  GroupSyncLimits limits_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> waiting_;
  bool stopping_ = false;
  Stats stats_;
  std::deque<Spare> spares_;    // under mutex_
  uint64_t spares_made_ = 0;    // the thread's own
  bool spares_failed_ = false;  // a spare could not be made: none is made any more
  std::atomic<uint64_t> spares_given_back_{0};
  std::atomic<uint64_t> spares_used_{0};
  std::thread thread_;
};

// The three steps above for one batch (the thread's work; public for the unit tests): returns one
// result per file, in order. Every file's descriptor is closed afterwards.
std::vector<Result<void>> commit_batch(std::vector<WrittenFile>& batch, DataSync data_sync);

}  // namespace pw::util
