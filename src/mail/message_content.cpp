// A message in memory or partly on disk (see the header).
#include "mail/message_content.hpp"

namespace pw::mail {

Result<void> MessageContent::for_each_piece(
    size_t chunk, const std::function<bool(std::string_view)>& sink) const {
  if (!memory.empty() && !sink(memory)) return {};
  return util::read_range(rest, chunk, sink);
}

Result<std::string> MessageContent::read_all() const {
  std::string out;
  out.reserve(size());
  auto read = for_each_piece(1 << 20, [&out](std::string_view piece) {
    out.append(piece);
    return true;
  });
  if (!read) return tl::unexpected(read.error());
  return out;
}

}  // namespace pw::mail
