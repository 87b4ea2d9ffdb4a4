// HTML to text for the spam classifier and fingerprints (F-SPAM): the text a reader would see,
// plus what a reader would not see (hidden text), the links (anchor text and href) and images.
// Trust: the HTML is hostile client bytes; the scan is one linear pass with bounded state.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pw::scan {

struct HtmlLink {
  std::string text;  // the anchor's visible text, whitespace collapsed
  std::string href;  // as written (entities decoded)
};

struct HtmlText {
  std::string text;         // visible text; block elements end lines
  std::string hidden_text;  // display:none, visibility:hidden, font-size 0/1, text colour = bg
  std::vector<HtmlLink> links;
  std::size_t images = 0;
};

// At most this many links are kept per document (the rest are counted in no list).
inline constexpr std::size_t kMaxHtmlLinks = 1000;

HtmlText html_to_text(std::string_view html);

// Appends the UTF-8 encoding of `code_point` (U+FFFD for surrogates and values beyond U+10FFFF).
void append_utf8(std::string& out, unsigned long code_point);

}  // namespace pw::scan
