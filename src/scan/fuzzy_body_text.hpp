// The visible text of a message for its fuzzy fingerprint (F-FUZZY): text/plain body parts in
// UTF-8, or the text of text/html parts when there is no plain one.
// merge: replace with scan::extract_text (scan/mime_text, written in parallel) and delete this
// file; until then this is a private, minimal GMime walk.
// Trust: the message is hostile client bytes; the walk is bounded by the part count and output
// size below, and refuses before parsing messages whose nesting would make GMime recurse deeply.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace pw::scan {

// At most `max_bytes` of text (cut at a character boundary is not promised; the fingerprint's
// normaliser repairs a cut UTF-8 sequence). "" when the message has no text body.
std::string fuzzy_body_text(std::string_view message, std::size_t max_bytes);

}  // namespace pw::scan
