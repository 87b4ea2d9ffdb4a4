// Batched message-log writes on a thread of their own.
#include "store/log_writer.hpp"

#include <spdlog/spdlog.h>

#include <vector>

namespace pw::store {

Result<std::unique_ptr<LogWriter>> LogWriter::start(const std::string& database_path,
                                                    Limits limits) {
  auto db = Database::open(database_path);
  if (!db) return tl::unexpected(db.error());
  std::unique_ptr<LogWriter> writer(new LogWriter(std::move(*db), limits));
  writer->thread_ = std::thread([w = writer.get()] { w->run(); });
  return writer;
}

LogWriter::LogWriter(Database db, Limits limits) : db_(std::move(db)), log_(db_), limits_(limits) {}

LogWriter::~LogWriter() { stop(); }

void LogWriter::submit(Operation operation, Committed committed) {
  {
    std::lock_guard lock(mutex_);
    items_.push_back({std::move(operation), std::move(committed)});
    // The writer waits for a first record, then for a full batch or its delay: a wake-up for
    // any other record would only put it back to sleep (issue 17: a futex call and a context
    // switch per record).
    if (items_.size() != 1 && items_.size() < limits_.batch_size) return;
  }
  wake_.notify_one();
}

void LogWriter::drain() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return items_.empty() && !busy_; });
}

void LogWriter::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void LogWriter::run() {
  std::vector<Item> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !items_.empty(); });
      if (items_.empty() && stopping_) return;
      // Let a burst gather, so one commit covers it.
      if (items_.size() < limits_.batch_size && !stopping_)
        wake_.wait_for(lock, limits_.batch_delay,
                       [this] { return stopping_ || items_.size() >= limits_.batch_size; });
      while (!items_.empty() && batch.size() < limits_.batch_size) {
        batch.push_back(std::move(items_.front()));
        items_.pop_front();
      }
      busy_ = true;
    }
    std::vector<bool> succeeded(batch.size(), false);
    auto result = db_.transaction([&]() -> Result<void> {
      for (size_t i = 0; i < batch.size(); ++i) {
        if (auto r = batch[i].operation(log_); !r)
          spdlog::error("event=log_write_failed error=\"{}\"", r.error().message);
        else
          succeeded[i] = true;
      }
      return {};
    });
    if (!result) {
      spdlog::error("event=log_commit_failed error=\"{}\" records={}", result.error().message,
                    batch.size());
    } else {
      ++batches_;
      // A record that failed keeps its consequences from happening (e.g. a spool file removed).
      for (size_t i = 0; i < batch.size(); ++i)
        if (succeeded[i] && batch[i].committed) batch[i].committed();
    }
    batch.clear();
    {
      std::lock_guard lock(mutex_);
      busy_ = false;
    }
    idle_.notify_all();
  }
}

}  // namespace pw::store
