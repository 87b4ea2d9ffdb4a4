// The readable text of a message (F-SPAM, and the body fingerprints of F-FUZZY): decoded subject
// and a few headers, every text/plain part transfer-decoded and converted to UTF-8, text/html
// parts as text (with links, hidden text and images), message/rfc822 parts followed.
// Trust: the message is hostile client bytes; parts, nesting and decoded bytes are bounded by
// MimeTextLimits ([scan] max_parts, max_depth, max_decoded_bytes), and a message that hits a
// limit still yields what was read before it, with limit_hit set: a verdict, never a crash.
//
//   auto limits = pw::scan::mime_text_limits(config.scan);  // the configured [scan] values
//   auto text = pw::scan::extract_message_text(message_bytes, limits);
//   text.text        whole visible body (plain parts, then html parts as text)
//   text.subject     RFC 2047-decoded, UTF-8
// Synchronous CPU work: run it on a worker thread. Thread-safe (GMime is initialised once).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "scan/attachment_scanner.hpp"
#include "scan/html_text.hpp"

namespace pw::scan {

// From [scan] (scan/attachment_limits.hpp: mime_text_limits); no default of its own.
struct MimeTextLimits {
  std::size_t max_parts = 0;
  std::size_t max_depth = 0;
  std::uint64_t max_decoded_bytes = 0;
  // Text read from one text part; a larger part is read only this far ([scan]
  // max_text_part_bytes). 0: no cap (tests that build limits by hand).
  std::uint64_t max_part_text = 0;
  std::size_t max_header_fields = 0;  // of all parts (scan/mime_guard)
  std::uint64_t max_scan_ms = 0;      // wall time, checked between parts
};

struct MessageText {
  // Headers of the outer message (RFC 5322 3.6); decoded to UTF-8 (RFC 2047).
  std::string subject;
  std::string from;
  std::string to;
  std::string x_mailer;  // X-Mailer or User-Agent
  bool has_subject = false;
  bool has_date = false;
  bool has_message_id = false;

  std::string plain;        // text/plain parts, UTF-8, separated by blank lines
  std::string html_text;    // text/html parts as visible text
  std::string hidden_text;  // html text a reader would not see
  std::string text;         // the whole visible body: plain, then html_text
  std::vector<HtmlLink> links;
  std::size_t images = 0;
  std::size_t plain_parts = 0;
  std::size_t html_parts = 0;
  std::size_t attachments = 0;  // leaf parts that are not body text
  std::size_t parts = 0;        // MIME parts walked

  bool parsed = false;       // GMime found a message (headers) at all
  bool limit_hit = false;    // parts, depth or decoded bytes: the rest was not read
  std::string limit_reason;  // the first limit hit, one line
};

// A leading mbox "From " line (as in corpus files) is skipped.
MessageText extract_message_text(std::string_view message, const MimeTextLimits& limits);
// The same for a message whose body may be in a file (issue 17 item 4).
MessageText extract_message_text(const mail::MessageContent& message, const MimeTextLimits& limits);
// The same on a parse shared with the attachment walk (scan/parsed_message.hpp).
MessageText extract_message_text(const ParsedMessage& parsed, const MimeTextLimits& limits);

}  // namespace pw::scan
