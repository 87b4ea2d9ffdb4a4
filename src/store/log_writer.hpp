// The single writer of the message log: a thread with its own database connection that runs the
// records it is given in batches, one transaction per batch, so that logging thousands of
// messages a second costs a few commits, not thousands. Callbacks run after their batch commits.
#pragma once
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "store/message_log.hpp"
#include "util/result.hpp"

namespace pw::store {

class LogWriter {
 public:
  using Operation = std::function<Result<void>(MessageLog&)>;
  using Committed = std::function<void()>;

  struct Limits {
    size_t batch_size = 1000;
    std::chrono::milliseconds batch_delay{20};
  };

  static Result<std::unique_ptr<LogWriter>> start(const std::string& database_path, Limits limits);
  ~LogWriter();

  // Thread-safe. `committed` runs on the writer thread once the batch holding `operation` is
  // committed; it must be quick (post work elsewhere). It does not run when the commit fails.
  void submit(Operation operation, Committed committed = {});
  // Waits until everything submitted so far is committed.
  void drain();
  void stop();
  uint64_t committed_batches() const { return batches_; }

 private:
  LogWriter(Database db, Limits limits);
  void run();
  struct Item {
    Operation operation;
    Committed committed;
  };
  Database db_;
  MessageLog log_;
  Limits limits_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<Item> items_;
  bool busy_ = false;
  bool stopping_ = false;
  std::atomic<uint64_t> batches_{0};
  std::thread thread_;
};

}  // namespace pw::store
