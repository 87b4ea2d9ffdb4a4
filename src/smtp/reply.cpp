// Renders replies to their wire form, every line within the RFC 5321 limit.
#include "smtp/reply.hpp"

#include <fmt/format.h>

namespace pw::smtp {
namespace {

// "NNN-" or "NNN " before the text, CRLF after it.
constexpr size_t kCodeAndSeparator = 4;
constexpr size_t kLineEnd = 2;

}  // namespace

std::vector<std::string> wrap_reply_text(std::string_view enhanced, std::string_view text) {
  const size_t prefix = kCodeAndSeparator + kLineEnd + (enhanced.empty() ? 0 : enhanced.size() + 1);
  // Enhanced codes have at most 11 octets (RFC 3463); the guard keeps a bad one from underflowing.
  const size_t room = prefix < kMaxReplyLine ? kMaxReplyLine - prefix : 1;
  std::vector<std::string> out;
  while (text.size() > room) {
    // Break at the last space that fits; a word longer than a line is cut where the line ends.
    size_t cut = text.rfind(' ', room);
    const bool at_space = cut != std::string_view::npos && cut > 0;
    if (!at_space) cut = room;
    out.emplace_back(text.substr(0, cut));
    text.remove_prefix(at_space ? cut + 1 : cut);
  }
  out.emplace_back(text);
  return out;
}

std::string Reply::render() const {
  std::vector<std::string> wire;
  for (const auto& line : lines) {
    for (auto& piece : wrap_reply_text(enhanced, line)) wire.push_back(std::move(piece));
  }
  std::string out;
  for (size_t i = 0; i < wire.size(); ++i) {
    const char separator = i + 1 < wire.size() ? '-' : ' ';
    if (enhanced.empty())
      out += fmt::format("{}{}{}\r\n", code, separator, wire[i]);
    else
      out += fmt::format("{}{}{} {}\r\n", code, separator, enhanced, wire[i]);
  }
  return out;
}

}  // namespace pw::smtp
