// Dot-stuffing with its state carried from one chunk to the next.
// Trust: the message comes from our queue, but its lines were written by senders.
#include "delivery/dot_stuffer.hpp"

namespace pw::delivery {

void DotStuffer::stuff(std::string_view chunk, std::string& out) {
  if (chunk.empty()) return;
  out.reserve(out.size() + chunk.size() + 16);
  size_t copied = 0;
  for (size_t i = 0; i < chunk.size(); ++i) {
    char c = chunk[i];
    if (at_line_start_ && c == '.') {
      out.append(chunk.substr(copied, i - copied));
      out.push_back('.');
      copied = i;
    }
    at_line_start_ = c == '\n';
    ends_with_crlf_ = c == '\n' && after_cr_;
    after_cr_ = c == '\r';
  }
  out.append(chunk.substr(copied));
}

void DotStuffer::finish(std::string& out) {
  if (!ends_with_crlf_) out += "\r\n";
  out += ".\r\n";
  at_line_start_ = true;
  after_cr_ = false;
  ends_with_crlf_ = true;
}

}  // namespace pw::delivery
