// One GMime parse shared by the scans (see the header).
#include "scan/parsed_message.hpp"

#include "scan/attachment_scanner.hpp"
#include "scan/mime_guard.hpp"

namespace pw::scan {

ParsedMessage parse_for_scans(const mail::MessageContent& message, std::size_t max_parts,
                              std::size_t max_header_fields) {
  ParsedMessage out;
  if (message.size() == 0) {
    out.empty = true;
    return out;
  }
  out.refusal = mime_parse_refusal(message, max_parts, max_header_fields);
  if (!out.refusal.empty()) return out;
  init_gmime_once();
  out.stream = open_message_stream(message);
  if (!out.stream) {
    out.refusal = "the message file cannot be read";
    return out;
  }
  out.message = parse_message(out.stream.get());
  return out;
}

}  // namespace pw::scan
