// Fuzzes the MIME text extraction and what the spam classifier does with it (F-SPAM):
// extract_message_text with small limits, then the tokenizer and the rules; the input is also
// read as an HTML document on its own (html_to_text).
// Promises checked: no crash, hang or leak; a limit hit carries a reason; parts never exceed the
// part limit; the subject and the body text are valid UTF-8; tokens are sorted and bounded.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "scan/html_text.hpp"
#include "scan/mime_text.hpp"
#include "scan/spam_rules.hpp"
#include "scan/spam_tokenizer.hpp"

namespace {

void check(bool promise) {
  if (!promise) std::abort();
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = b < 0x80                   ? 1
                    : (b >= 0xC2 && b <= 0xDF) ? 2
                    : (b >= 0xE0 && b <= 0xEF) ? 3
                    : (b >= 0xF0 && b <= 0xF4) ? 4
                                               : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  pw::scan::MimeTextLimits limits;
  limits.max_parts = 50;
  limits.max_depth = 5;
  limits.max_decoded_bytes = 256 * 1024;
  limits.max_header_fields = 1000;
  limits.max_scan_ms = 2000;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto text = pw::scan::extract_message_text(input, limits);
  check(text.limit_hit == !text.limit_reason.empty());
  check(text.parts <= limits.max_parts + 1);  // the part that crossed the limit is counted
  check(valid_utf8(text.subject) && valid_utf8(text.plain) && valid_utf8(text.html_text) &&
        valid_utf8(text.text));
  check(text.links.size() <= pw::scan::kMaxHtmlLinks);
  const auto tokens = pw::scan::tokenize(text, true);
  check(tokens.features.size() <= pw::scan::kMaxTokens);
  check(std::is_sorted(tokens.features.begin(), tokens.features.end()));
  for (auto f : tokens.features) check(f < pw::scan::kFeatureCount);
  for (const auto& reason : pw::scan::apply_spam_rules(input, text))
    check(!reason.rule.empty() && !reason.text.empty());
  const auto html = pw::scan::html_to_text(input);
  check(html.links.size() <= pw::scan::kMaxHtmlLinks);
  return 0;
}
