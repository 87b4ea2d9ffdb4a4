// See fuzzy_body_text.hpp.
#include "scan/fuzzy_body_text.hpp"

namespace pw::scan {

std::string fuzzy_body_text(std::string_view message, std::size_t max_bytes,
                            const MimeTextLimits& limits) {
  MessageText text = extract_message_text(message, limits);
  std::string body = std::move(text.text);
  if (body.size() > max_bytes) body.resize(max_bytes);
  return body;
}

}  // namespace pw::scan
