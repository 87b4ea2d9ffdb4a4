// A large message's body moved to a file as DATA arrives (see the header).
#include "smtp/message_spill.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string_view>

namespace pw::smtp {
namespace {

// The header section's length with the empty line after it, when it ends within `data`.
std::optional<size_t> header_size(std::string_view data) {
  if (data.starts_with("\r\n")) return 2;
  const size_t end = data.find("\r\n\r\n");
  if (end == std::string_view::npos) return std::nullopt;
  return end + 4;
}

}  // namespace

void MessageSpill::absorb(std::string& buffer) {
  if (header_too_big_ || !error_.empty()) {
    buffer.clear();  // refused at the end: the rest is read and dropped
    return;
  }
  if (!file_) {
    if (buffer.size() > memory_bytes_) start(buffer);
    return;
  }
  if (buffer.size() - header_size_ >= kFlushBytes) move_on(buffer);
}

void MessageSpill::finish(std::string& buffer) {
  if (file_ && error_.empty() && !header_too_big_) move_on(buffer);
}

void MessageSpill::start(std::string& buffer) {
  const auto header = header_size(std::string_view(buffer).substr(0, memory_bytes_));
  if (!header) {
    header_too_big_ = true;
    buffer.clear();
    return;
  }
  auto opened = open_();
  if (!opened) {
    error_ = opened.error().message;
    buffer.clear();
    return;
  }
  file_ = std::move(*opened);
  header_size_ = *header;
  move_on(buffer);
}

void MessageSpill::move_on(std::string& buffer) {
  std::string_view rest = std::string_view(buffer).substr(header_size_);
  while (!rest.empty()) {
    const ssize_t n = ::write(file_.get(), rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error_ = std::string("cannot write the message file: ") + std::strerror(errno);
      file_.reset();
      buffer.clear();
      return;
    }
    rest.remove_prefix(static_cast<size_t>(n));
    written_ += static_cast<uint64_t>(n);
  }
  buffer.resize(header_size_);
}

mail::MessageContent MessageSpill::content(const std::string& buffer) const {
  mail::MessageContent c{buffer, {}};
  if (file_) c.rest = util::FileRange{file_.get(), 0, written_};
  return c;
}

}  // namespace pw::smtp
