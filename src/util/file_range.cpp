// Reading and copying a range of a file (see the header).
#include "util/file_range.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace pw::util {
namespace {

Error errno_error(std::string_view what) {
  return Error{std::string(what) + ": " + std::strerror(errno)};
}

// pread until `buffer` is full or the file ends; -1 on error.
ssize_t pread_full(int fd, char* buffer, size_t size, uint64_t offset) {
  size_t got = 0;
  while (got < size) {
    ssize_t n = ::pread(fd, buffer + got, size - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(got);
}

Result<void> write_full(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return tl::unexpected(errno_error("cannot write"));
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

}  // namespace

Result<void> read_range(const FileRange& range, size_t chunk,
                        const std::function<bool(std::string_view)>& sink) {
  if (range.empty()) return {};
  std::vector<char> buffer(std::min<uint64_t>(chunk == 0 ? 1 : chunk, range.length));
  for (uint64_t done = 0; done < range.length;) {
    const size_t want = std::min<uint64_t>(buffer.size(), range.length - done);
    const ssize_t got = pread_full(range.fd, buffer.data(), want, range.offset + done);
    if (got < 0) return tl::unexpected(errno_error("cannot read the message file"));
    if (static_cast<size_t>(got) < want)
      return tl::unexpected(Error{"the message file is shorter than expected"});
    done += want;
    if (!sink(std::string_view(buffer.data(), want))) break;
  }
  return {};
}

Result<void> copy_range(const FileRange& range, int out_fd) {
  if (range.empty()) return {};
  auto in_offset = static_cast<off_t>(range.offset);
  uint64_t left = range.length;
  while (left > 0) {
    ssize_t n = ::copy_file_range(range.fd, &in_offset, out_fd, nullptr, left, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL))
      break;  // not between these files: copied below through a buffer
    if (n < 0) return tl::unexpected(errno_error("cannot copy the message file"));
    if (n == 0) return tl::unexpected(Error{"the message file is shorter than expected"});
    left -= static_cast<uint64_t>(n);
  }
  if (left == 0) return {};
  const FileRange rest{range.fd, static_cast<uint64_t>(in_offset), left};
  Result<void> written;
  auto read = read_range(rest, 1 << 20, [&](std::string_view bytes) {
    written = write_full(out_fd, bytes);
    return written.has_value();
  });
  if (!read) return read;
  return written;
}

}  // namespace pw::util
