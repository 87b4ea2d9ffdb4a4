// One GMime parse of a message, shared by the attachment walk and the text the spam and fuzzy
// checks read (issue 17 item 2: one parse per message, not one per check). The parse is refused
// before GMime sees the message when scan/mime_guard counts more parts or header fields than the
// limits allow (fail closed: the checks report it, never parse it).
//
//   auto parsed = pw::scan::parse_for_scans(message, max_parts, max_header_fields);
//   auto report = pw::scan::scan_attachments(parsed, attachment_limits);
//   auto text = pw::scan::extract_message_text(parsed, text_limits);
//
// The walks reset each part's stream before they read it, so the two may walk one parse in turn
// (not at once: a GMime object is not safe to share between threads).
#pragma once
#include <cstddef>
#include <string>

#include "mail/message_content.hpp"
#include "scan/gmime_stream.hpp"

namespace pw::scan {

struct ParsedMessage {
  std::string refusal;         // not parsed: the one-line reason (mime_guard, or unreadable)
  GPtr<GMimeStream> stream;    // the message, which the parts refer to (persisted stream)
  GPtr<GMimeMessage> message;  // null: refused, or GMime found no header section at all
  bool empty = false;          // no bytes at all (GMime refuses a stream over no buffer)
};

// `message` must outlive the result (the memory stream refers to its bytes).
ParsedMessage parse_for_scans(const mail::MessageContent& message, std::size_t max_parts,
                              std::size_t max_header_fields);

}  // namespace pw::scan
