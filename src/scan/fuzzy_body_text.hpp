// The visible text of a message for its fuzzy fingerprint (F-FUZZY): the body text that
// scan/mime_text extracts for the classifier too (text/plain in UTF-8, then HTML as text), cut to
// a size. One MIME walk for both, so the fingerprint and the classifier read the same text.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include "scan/mime_text.hpp"

namespace pw::scan {

// At most `max_bytes` of text (a cut UTF-8 sequence at the end is repaired by the fingerprint's
// normaliser). "" when the message has no text body. `limits`: the node's [scan] limits
// (scan::mime_text_limits), which bound the MIME walk.
std::string fuzzy_body_text(std::string_view message, std::size_t max_bytes,
                            const MimeTextLimits& limits);

}  // namespace pw::scan
