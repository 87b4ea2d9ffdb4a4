// Group commit (see the header).
#include "util/group_sync.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/prefer.hpp>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace pw::util {
namespace {

Error errno_error(std::string_view what, const std::filesystem::path& path) {
  return Error{std::string(what) + " " + path.string() + ": " + std::strerror(errno)};
}

// Step 1: every file's data on disk before any of them is put in place.
void sync_data(const std::vector<WrittenFile>& batch, DataSync data_sync,
               std::vector<Result<void>>& results) {
  if (data_sync == DataSync::kFileSystem) {
    if (::syncfs(batch.front().fd.get()) == 0) return;
    const Error failed = errno_error("cannot sync the file system of", batch.front().file.tmp_path);
    for (auto& result : results) result = tl::unexpected(failed);
    return;
  }
  for (size_t i = 0; i < batch.size(); ++i)
    if (::fdatasync(batch[i].fd.get()) != 0)
      results[i] = tl::unexpected(errno_error("cannot sync", batch[i].file.tmp_path));
}

// Step 3: each directory that gained a name is synced once; its files share the outcome.
void sync_directories(const std::vector<WrittenFile>& batch, std::vector<Result<void>>& results) {
  std::vector<bool> done(batch.size(), false);
  for (size_t i = 0; i < batch.size(); ++i) {
    if (done[i] || !results[i]) continue;
    const DurableFile& file = batch[i].file;
    const std::filesystem::path dir = file.final_path.parent_path();
    Result<void> synced;
    if (file.directory_fd < 0)
      synced = sync_directory(dir);
    else if (::fsync(file.directory_fd) != 0)
      synced = tl::unexpected(errno_error("cannot sync", dir));
    for (size_t j = i; j < batch.size(); ++j) {
      if (done[j] || !results[j] || batch[j].file.final_path.parent_path() != dir) continue;
      done[j] = true;
      if (!synced) results[j] = synced;
    }
  }
}

}  // namespace

std::vector<Result<void>> commit_batch(std::vector<WrittenFile>& batch, DataSync data_sync) {
  std::vector<Result<void>> results(batch.size());
  if (batch.empty()) return results;
  sync_data(batch, data_sync, results);
  for (size_t i = 0; i < batch.size(); ++i) {
    batch[i].fd.reset();
    if (results[i])
      results[i] = place(batch[i].file);  // step 2
    else
      ::unlink(batch[i].file.tmp_path.c_str());
  }
  sync_directories(batch, results);
  return results;
}

GroupSync::GroupSync(GroupSyncLimits limits) : limits_(std::move(limits)) {
  if (limits_.max_files == 0) limits_.max_files = 1;
  thread_ = std::thread([this] { run(); });
}

GroupSync::~GroupSync() { stop(); }

void GroupSync::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

GroupSync::Stats GroupSync::stats() const {
  std::lock_guard lock(mutex_);
  Stats stats = stats_;
  stats.spares_used = spares_used_.load(std::memory_order_relaxed);
  stats.given_back = spares_given_back_.load(std::memory_order_relaxed);
  return stats;
}

void GroupSync::enqueue(Unwritten file, Handler handler) {
  auto executor = boost::asio::prefer(boost::asio::get_associated_executor(handler),
                                      boost::asio::execution::outstanding_work.tracked);
  Pending pending{std::move(file), std::move(handler), std::move(executor)};
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      waiting_.push_back(std::move(pending));
      // The committer waits for a first file, then for a full batch or its time: a wake-up for
      // any other file would only put it back to sleep (a futex call and a context switch per
      // message, issue 17).
      if (waiting_.size() == 1 || waiting_.size() >= limits_.max_files) wake_.notify_one();
      return;
    }
  }
  complete(pending, tl::unexpected(Error{"the spool is stopping"}));
}

// While nothing waits, one spare at a time (a new file never waits for more than one create).
// A spare that cannot be made stops the making: files are then created as they are written.
void GroupSync::make_spares(std::unique_lock<std::mutex>& lock) {
  while (limits_.make_spares && waiting_.empty() && !stopping_ && !spares_failed_ &&
         spares_.size() < limits_.spare_files) {
    lock.unlock();
    auto path = limits_.spare_dir / ("spare-" + std::to_string(++spares_made_));
    auto fd = create_fresh(path);
    lock.lock();
    if (!fd) {
      spares_failed_ = true;
      return;
    }
    spares_.push_back({std::move(path), std::move(*fd)});
  }
}

bool GroupSync::give_back(const std::filesystem::path& file) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || spares_.size() >= limits_.spare_files) return false;
  }
  const uint64_t n = spares_given_back_.fetch_add(1, std::memory_order_relaxed) + 1;
  auto spare = limits_.spare_dir / ("spare-r" + std::to_string(n));
  if (::rename(file.c_str(), spare.c_str()) != 0) return false;
  if (::truncate(spare.c_str(), 0) != 0) {  // never reused with another message's bytes
    ::unlink(spare.c_str());
    return true;
  }
  std::lock_guard lock(mutex_);
  spares_.push_back({std::move(spare), UniqueFd()});
  return true;
}

// The oldest spare, opened if it was given back closed; nullopt when there is none usable.
std::optional<GroupSync::Spare> GroupSync::take_spare() {
  std::unique_lock lock(mutex_);
  while (!spares_.empty()) {
    Spare spare = std::move(spares_.front());
    spares_.pop_front();
    if (spare.fd) return spare;
    lock.unlock();
    spare.fd = UniqueFd(::open(spare.path.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC));
    if (spare.fd) return spare;
    ::unlink(spare.path.c_str());
    lock.lock();
  }
  return std::nullopt;
}

// Into a spare file when there is one (it takes the spare's name until it is put in place).
Result<WrittenFile> GroupSync::write(Unwritten& unwritten) {
  std::optional<Spare> taken = take_spare();
  if (!taken) {
    auto fd = write_temporary(unwritten.file, unwritten.parts, unwritten.tail);
    if (!fd) return tl::unexpected(std::move(fd.error()));
    return WrittenFile{std::move(unwritten.file), std::move(*fd)};
  }
  Spare spare = std::move(*taken);
  spares_used_.fetch_add(1, std::memory_order_relaxed);
  unwritten.file.tmp_path = spare.path;
  if (auto written = write_all(spare.fd.get(), unwritten.parts, spare.path, unwritten.tail);
      !written) {
    spare.fd.reset();
    ::unlink(spare.path.c_str());
    return tl::unexpected(std::move(written.error()));
  }
  return WrittenFile{std::move(unwritten.file), std::move(spare.fd)};
}

// The files are written first; a file that cannot be written fails alone.
std::vector<Result<void>> GroupSync::write_and_commit(std::vector<Pending>& batch) {
  std::vector<Result<void>> results(batch.size());
  std::vector<WrittenFile> files;
  std::vector<size_t> positions;
  files.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    auto written = write(batch[i].file);
    if (!written) {
      results[i] = tl::unexpected(std::move(written.error()));
      continue;
    }
    files.push_back(std::move(*written));
    positions.push_back(i);
  }
  auto committed = commit_batch(files, limits_.data_sync);
  for (size_t k = 0; k < positions.size(); ++k) results[positions[k]] = std::move(committed[k]);
  return results;
}

void GroupSync::complete(Pending& pending, Result<void> result) {
  // Called on this thread, never the executor's own: execute() queues the call there.
  pending.executor.execute(
      [handler = std::move(pending.handler), result = std::move(result)]() mutable {
        std::move(handler)(std::move(result));
      });
}

void GroupSync::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    make_spares(lock);
    wake_.wait(lock, [this] { return stopping_ || !waiting_.empty(); });
    if (waiting_.empty()) break;  // stopping, and nothing left
    if (limits_.max_wait.count() > 0 && !stopping_ && waiting_.size() < limits_.max_files)
      wake_.wait_for(lock, limits_.max_wait,
                     [this] { return stopping_ || waiting_.size() >= limits_.max_files; });
    std::vector<Pending> batch;
    while (!waiting_.empty() && batch.size() < limits_.max_files) {
      batch.push_back(std::move(waiting_.front()));
      waiting_.pop_front();
    }
    ++stats_.batches;
    stats_.files += batch.size();
    stats_.largest_batch = std::max<uint64_t>(stats_.largest_batch, batch.size());
    lock.unlock();
    auto results = write_and_commit(batch);
    for (size_t i = 0; i < batch.size(); ++i) complete(batch[i], std::move(results[i]));
    lock.lock();
  }
  for (auto& spare : spares_) ::unlink(spare.path.c_str());
  spares_.clear();
}

}  // namespace pw::util
