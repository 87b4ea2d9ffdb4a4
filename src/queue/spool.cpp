// Durable spool writes: tmp file, fdatasync, rename, directory fsync, then 250.
// Trust: the envelope and bytes were checked by the SMTP session; ids are made here.
#include "queue/spool.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>

namespace pw::queue {
namespace {

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

// The most iovecs one writev takes on Linux (IOV_MAX).
constexpr size_t kMaxIovecs = 1024;

Result<void> write_all(int fd, std::vector<std::string_view> parts) {
  size_t index = 0;
  while (index < parts.size()) {
    std::vector<iovec> iov;
    for (size_t i = index; i < parts.size() && iov.size() < kMaxIovecs; ++i)
      if (!parts[i].empty()) iov.push_back({const_cast<char*>(parts[i].data()), parts[i].size()});
    if (iov.empty()) break;
    ssize_t written = ::writev(fd, iov.data(), static_cast<int>(iov.size()));
    if (written < 0) {
      if (errno == EINTR) continue;
      return fail(errno_text("write to spool"));
    }
    auto left = static_cast<size_t>(written);
    while (index < parts.size() && left >= parts[index].size()) {
      left -= parts[index].size();
      ++index;
    }
    if (left > 0) parts[index].remove_prefix(left);
  }
  return {};
}

}  // namespace

Result<Spool> Spool::open(const std::filesystem::path& root) {
  Spool spool;
  spool.incoming_ = root / "incoming";
  spool.tmp_ = root / "tmp";
  spool.journal_ = root / "journal";
  std::error_code ec;
  for (const auto& dir : {root, spool.incoming_, spool.tmp_, spool.journal_}) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return fail(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  }
  for (const auto& entry : std::filesystem::directory_iterator(spool.tmp_, ec))
    std::filesystem::remove(entry.path(), ec);
  spool.incoming_fd_ = util::UniqueFd(::open(spool.incoming_.c_str(), O_RDONLY | O_DIRECTORY));
  if (!spool.incoming_fd_) return fail(errno_text("open " + spool.incoming_.string()));
  std::random_device random;
  spool.counter_ = std::make_shared<std::atomic<uint32_t>>(random());
  return spool;
}

std::string Spool::new_id() {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  uint32_t n = counter_->fetch_add(1, std::memory_order_relaxed);
  return fmt::format("{:013X}{:06X}", static_cast<uint64_t>(micros), n & 0xFFFFFF);
}

Result<void> Spool::store(const Envelope& envelope,
                          const std::vector<std::string_view>& message_parts) {
  std::string header = envelope.to_json_line();
  header.push_back('\n');
  auto tmp_path = tmp_ / envelope.id;
  auto final_path = incoming_ / envelope.id;
  util::UniqueFd fd(::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd) return fail(errno_text("create " + tmp_path.string()));
  std::vector<std::string_view> parts;
  parts.reserve(message_parts.size() + 1);
  parts.push_back(header);
  parts.insert(parts.end(), message_parts.begin(), message_parts.end());
  auto cleanup = [&](Error e) -> Result<void> {
    std::error_code ignored;
    std::filesystem::remove(tmp_path, ignored);
    return tl::unexpected(std::move(e));
  };
  if (auto r = write_all(fd.get(), parts); !r) return cleanup(r.error());
  if (::fdatasync(fd.get()) != 0) return cleanup(Error{errno_text("sync spool file")});
  fd.reset();
  if (::rename(tmp_path.c_str(), final_path.c_str()) != 0)
    return cleanup(Error{errno_text("rename into spool")});
  // The rename is durable only once the directory is synced (Postfix skips this; we do not).
  if (::fsync(incoming_fd_.get()) != 0) return fail(errno_text("sync spool directory"));
  return {};
}

}  // namespace pw::queue
