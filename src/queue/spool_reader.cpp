// Reading a spooled message for delivery, whole or piece by piece (see the header).
#include "queue/spool_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "util/blocking.hpp"

namespace pw::queue {
namespace {

Error file_error(const std::filesystem::path& path, std::string_view what) {
  return Error{path.string() + ": " + std::string(what)};
}

// The bytes of `range`, read with pread.
Result<std::string> read_bytes(const util::FileRange& range) {
  std::string out;
  out.reserve(range.length);
  auto read = util::read_range(range, range.length, [&out](std::string_view piece) {
    out.append(piece);
    return true;
  });
  if (!read) return tl::unexpected(read.error());
  return out;
}

// Where the message starts: after the envelope's line.
Result<uint64_t> message_offset(int fd, uint64_t size, const std::filesystem::path& path) {
  uint64_t offset = 0;
  auto read = util::read_range({fd, 0, size}, 64 * 1024, [&offset](std::string_view piece) {
    const size_t newline = piece.find('\n');
    if (newline == std::string_view::npos) {
      offset += piece.size();
      return true;
    }
    offset += newline + 1;
    return false;
  });
  if (!read) return tl::unexpected(file_error(path, read.error().message));
  if (offset == 0 || offset > size) return tl::unexpected(file_error(path, "no envelope line"));
  return offset;
}

}  // namespace

Result<SpooledMessage> open_spooled_message(const std::filesystem::path& path,
                                            uint64_t memory_bytes) {
  util::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return tl::unexpected(file_error(path, std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return tl::unexpected(file_error(path, std::strerror(errno)));
  const auto size = static_cast<uint64_t>(st.st_size);
  auto offset = message_offset(fd.get(), size, path);
  if (!offset) return tl::unexpected(offset.error());
  SpooledMessage out;
  out.range = {fd.get(), *offset, size - *offset};
  if (out.range.length <= memory_bytes) {
    auto whole = read_bytes(out.range);
    if (!whole) return tl::unexpected(file_error(path, whole.error().message));
    out.message = std::move(*whole);
    out.range = {};
    return out;
  }
  auto last = read_bytes({fd.get(), size - 2, 2});
  if (!last) return tl::unexpected(file_error(path, last.error().message));
  out.ends_with_crlf = *last == "\r\n";
  out.file = std::move(fd);
  return out;
}

Result<std::string> message_start(const SpooledMessage& message, uint64_t max) {
  if (!message.in_file()) return message.message.substr(0, max);
  return read_bytes({message.range.fd, message.range.offset, std::min(max, message.range.length)});
}

boost::asio::awaitable<tl::expected<std::string, std::string>> SpoolFileReader::next() {
  const uint64_t left = message_.range.length - done_;
  if (left == 0) co_return std::string();
  const util::FileRange piece{message_.range.fd, message_.range.offset + done_,
                              std::min<uint64_t>(left, kPieceBytes)};
  auto bytes = co_await util::run_blocking(pool_, [piece] { return read_bytes(piece); });
  if (!bytes) co_return tl::unexpected(bytes.error().message);
  done_ += bytes->size();
  co_return std::move(*bytes);
}

}  // namespace pw::queue
