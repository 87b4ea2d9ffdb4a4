// Durable file writes (see the header).
#include "util/durable_file.hpp"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "util/unique_fd.hpp"

namespace pw::util {
namespace {

// The most iovecs one writev takes on Linux (IOV_MAX).
constexpr size_t kMaxIovecs = 1024;

Error errno_error(std::string_view what, const std::filesystem::path& path) {
  return Error{std::string(what) + " " + path.string() + ": " + std::strerror(errno)};
}

Result<void> write_parts(int fd, std::vector<std::string_view> parts,
                         const std::filesystem::path& path) {
  size_t index = 0;
  while (index < parts.size()) {
    std::vector<iovec> iov;
    for (size_t i = index; i < parts.size() && iov.size() < kMaxIovecs; ++i)
      if (!parts[i].empty()) iov.push_back({const_cast<char*>(parts[i].data()), parts[i].size()});
    if (iov.empty()) break;
    ssize_t written = ::writev(fd, iov.data(), static_cast<int>(iov.size()));
    if (written < 0) {
      if (errno == EINTR) continue;
      return tl::unexpected(errno_error("cannot write", path));
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

Result<void> place(const DurableFile& file) {
  const char* tmp = file.tmp_path.c_str();
  if (file.placement == Placement::kReplace) {
    if (::rename(tmp, file.final_path.c_str()) == 0) return {};
    Error e = errno_error("cannot rename into", file.final_path);
    ::unlink(tmp);
    return tl::unexpected(std::move(e));
  }
  if (::link(tmp, file.final_path.c_str()) != 0) {
    Error e = errno == EEXIST ? Error{file.final_path.string() + " already exists"}
                              : errno_error("cannot link into", file.final_path);
    ::unlink(tmp);
    return tl::unexpected(std::move(e));
  }
  ::unlink(tmp);
  return {};
}

namespace {

// The temporary file, created afresh. A file or symlink already at its name is a leftover of a
// crash (never in place, never announced): it is removed and the create tried once more. The
// spool's names are unique, so its hot path makes one open(2) and no unlink(2).
UniqueFd create_temporary(const std::filesystem::path& path) {
  constexpr int kFlags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  UniqueFd fd(::open(path.c_str(), kFlags, 0600));
  if (!fd && errno == EEXIST && ::unlink(path.c_str()) == 0)
    fd = UniqueFd(::open(path.c_str(), kFlags, 0600));
  return fd;
}

}  // namespace

Result<void> sync_directory(const std::filesystem::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return tl::unexpected(errno_error("cannot open", dir));
  if (::fsync(fd.get()) != 0) return tl::unexpected(errno_error("cannot sync", dir));
  return {};
}

Result<void> write_all(int fd, std::span<const std::string_view> parts,
                       const std::filesystem::path& path, const FileRange& tail) {
  if (auto written = write_parts(fd, {parts.begin(), parts.end()}, path); !written) return written;
  if (auto copied = copy_range(tail, fd); !copied)
    return tl::unexpected(Error{path.string() + ": " + copied.error().message});
  return {};
}

Result<UniqueFd> create_fresh(const std::filesystem::path& path) {
  UniqueFd fd = create_temporary(path);
  if (!fd) return tl::unexpected(errno_error("cannot create", path));
  return fd;
}

Result<UniqueFd> write_temporary(const DurableFile& file, std::span<const std::string_view> parts,
                                 const FileRange& tail) {
  UniqueFd fd = create_temporary(file.tmp_path);
  if (!fd) return tl::unexpected(errno_error("cannot create", file.tmp_path));
  if (auto written = write_all(fd.get(), parts, file.tmp_path, tail); !written) {
    fd.reset();
    ::unlink(file.tmp_path.c_str());
    return tl::unexpected(std::move(written.error()));
  }
  return fd;
}

Result<void> write_durably(const DurableFile& file, std::span<const std::string_view> parts,
                           const FileRange& tail) {
  auto fd = write_temporary(file, parts, tail);
  if (!fd) return tl::unexpected(std::move(fd.error()));
  if (::fdatasync(fd->get()) != 0) {
    Error e = errno_error("cannot sync", file.tmp_path);
    fd->reset();
    ::unlink(file.tmp_path.c_str());
    return tl::unexpected(std::move(e));
  }
  fd->reset();
  if (auto placed = place(file); !placed) return placed;
  if (file.directory_fd >= 0) {
    if (::fsync(file.directory_fd) != 0)
      return tl::unexpected(errno_error("cannot sync", file.final_path.parent_path()));
    return {};
  }
  return sync_directory(file.final_path.parent_path());
}

Result<void> write_durably(const DurableFile& file, std::string_view data) {
  const std::string_view parts[] = {data};
  return write_durably(file, parts);
}

}  // namespace pw::util
