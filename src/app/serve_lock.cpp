// flock(2) on <data-dir>/serve.lock; the kernel drops it when the process dies, even by kill -9.
#include "app/serve_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace pw::app {
namespace {
std::string lock_path(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "serve.lock").string();
}
}  // namespace

Result<util::UniqueFd> acquire_serve_lock(const std::string& data_dir) {
  util::UniqueFd fd(::open(lock_path(data_dir).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) return fail("cannot open " + lock_path(data_dir) + ": " + std::strerror(errno));
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0)
    return fail("another postwarden serve is running on " + data_dir);
  return fd;
}

bool serve_is_running(const std::string& data_dir) {
  util::UniqueFd fd(::open(lock_path(data_dir).c_str(), O_RDWR | O_CLOEXEC));
  if (!fd) return false;
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) {
    ::flock(fd.get(), LOCK_UN);
    return false;
  }
  return true;
}

}  // namespace pw::app
