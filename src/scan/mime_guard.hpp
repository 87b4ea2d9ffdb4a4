// The pre-parse guard of the MIME scanners (issue 15, item 4): GMime builds the whole part tree
// before any limit of ours runs, one part per boundary delimiter line and one nesting level (and
// recursion) per Content-Type, so a 9 MB message of a million "--B" lines cost 19 s and 1.5 GB.
// This linear pass over the raw bytes gives an upper bound of what GMime would build, and the
// scanners refuse to parse a message above it: they report limit_hit ("not proven clean"), and
// the checks that block on attachments refuse the message (fail closed).
// Trust: hostile bytes; one pass, O(n log b) for n bytes and b declared boundaries.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include "mail/message_content.hpp"

namespace pw::scan {

struct MimeShape {
  std::size_t content_type_lines = 0;  // lines starting a Content-Type field (nesting bound)
  // Lines "--X" where X could be a boundary GMime knows: X (without a final "--" and trailing
  // blanks) is a prefix of a value declared with boundary= anywhere in the message. When a
  // declaration cannot be read literally (RFC 2231 "boundary*", comments, encoded words, escapes
  // or folds in the value), every line starting with "--" is counted.
  std::size_t delimiter_lines = 0;
  bool literal_boundaries = true;  // false: every "--" line was counted
  // Field-starting lines in the header blocks GMime would parse (the message's, one after each
  // counted delimiter line, and an attached message's): GMime keeps ~0.5 KB per field, so a
  // 9 MB part header of "X:a" lines cost 4.9 s and 860 MB.
  std::size_t header_lines = 0;
};

// Lines starting a Content-Type field: each nesting level needs one.
std::size_t count_content_type_lines(std::string_view message);

MimeShape mime_shape(std::string_view message);

// Why GMime must not parse `message`, or an empty string. GMime makes at most delimiter_lines +
// content_type_lines + 1 objects, so refusing either count above max_parts bounds its parts
// (2 * max_parts + 2) and its recursion; header_lines above max_header_fields bounds the fields
// it keeps. With the message itself (max_message_size), that bounds its memory and time.
std::string mime_parse_refusal(std::string_view message, std::size_t max_parts,
                               std::size_t max_header_fields);

// The same for a message whose body may be in a file (issue 17 item 4): read in windows of whole
// lines, about kWindowBytes, cut where a line ends and the next does not continue it (a boundary
// declaration never crosses such a cut), so both passes see what they would see in one piece.
// Where no such cut is found (a long folded field), or a line is longer than a window (kept as
// its two ends), every "--" line counts, as for a declaration that cannot be read literally.
// A file that cannot be read is a refusal.
inline constexpr std::size_t kWindowBytes = 1024 * 1024;
// `window_bytes` other than the default: for the fuzz target, which proves small windows count
// what one piece counts.
MimeShape mime_shape(const mail::MessageContent& message, bool& readable,
                     std::size_t window_bytes = kWindowBytes);
std::string mime_parse_refusal(const mail::MessageContent& message, std::size_t max_parts,
                               std::size_t max_header_fields);

}  // namespace pw::scan
