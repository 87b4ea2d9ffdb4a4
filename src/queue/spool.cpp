// Durable spool writes (util/durable_file: tmp file, fdatasync, rename, directory fsync), then
// the 250.
// Trust: the envelope and bytes were checked by the SMTP session; ids are made here.
#include "queue/spool.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>

#include "util/durable_file.hpp"

namespace pw::queue {
namespace {

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace

Result<Spool> Spool::open(const std::filesystem::path& root, util::GroupSyncLimits limits) {
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
  limits.spare_dir = spool.tmp_;  // leftovers of a crash are removed above
  spool.group_ = std::make_unique<util::GroupSync>(limits);
  return spool;
}

std::string Spool::new_id() {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  uint32_t n = counter_->fetch_add(1, std::memory_order_relaxed);
  return fmt::format("{:013X}{:06X}", static_cast<uint64_t>(micros), n & 0xFFFFFF);
}

namespace {

// The envelope line and the message parts, as one list for the writer.
std::vector<std::string_view> file_parts(const std::string& header,
                                         const std::vector<std::string_view>& message_parts) {
  std::vector<std::string_view> parts;
  parts.reserve(message_parts.size() + 1);
  parts.push_back(header);
  parts.insert(parts.end(), message_parts.begin(), message_parts.end());
  return parts;
}

}  // namespace

util::DurableFile Spool::placement_of(const std::string& id) const {
  return {tmp_ / id, incoming_ / id, util::Placement::kReplace, incoming_fd_.get()};
}

Result<void> Spool::store(const Envelope& envelope,
                          const std::vector<std::string_view>& message_parts,
                          const util::FileRange& tail) {
  const std::string header = envelope.to_json_line() + '\n';
  // The rename is durable only once the directory is synced (Postfix skips this; we do not).
  return util::write_durably(placement_of(envelope.id), file_parts(header, message_parts), tail);
}

boost::asio::awaitable<Result<void>> Spool::store_grouped(
    const Envelope& envelope, std::vector<std::string_view> message_parts, util::FileRange tail) {
  const std::string header = envelope.to_json_line() + '\n';  // lives while the write waits
  co_return co_await group_->async_write(placement_of(envelope.id),
                                         file_parts(header, message_parts), tail,
                                         boost::asio::use_awaitable);
}

Result<util::UniqueFd> Spool::open_unnamed() const {
  util::UniqueFd fd(::open(tmp_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (!fd && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    // A file system without O_TMPFILE: a named file, unlinked at once (a crash in between
    // leaves it in tmp/, which open() clears).
    const auto path = tmp_ / ("large-" + std::to_string(::getpid()) + "-" +
                              std::to_string(counter_->fetch_add(1)));
    fd = util::UniqueFd(
        ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd) ::unlink(path.c_str());
  }
  if (!fd)
    return tl::unexpected(
        Error{"cannot open an unnamed file in " + tmp_.string() + ": " + std::strerror(errno)});
  return fd;
}

void Spool::recycle(const std::filesystem::path& file) {
  if (group_->give_back(file)) return;
  std::error_code ignored;
  std::filesystem::remove(file, ignored);
}

void Spool::stop_commits() { group_->stop(); }

}  // namespace pw::queue
