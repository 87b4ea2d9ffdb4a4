// Fuzzes F-FUZZY's normaliser and fingerprint, the fingerprint parser, and the body-text walk.
// Input: the whole input as body text (normalise_words, fuzzy_fingerprint), as a printable
// fingerprint (FuzzyFingerprint::parse) and as a message (fuzzy_body_text).
// Promises checked: no crash, hang or leak; words are non-empty and hold no ASCII space or digit;
// a fingerprint's printable form parses back to itself and is similar 1.0 to itself; a parsed
// value prints back to the same text; the body text stays within its bound; ASCII text gives the
// same words with or without GLib's lower-casing.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "scan/fuzzy_body_text.hpp"
#include "scan/fuzzy_fingerprint.hpp"

namespace {

void check(bool promise) {
  if (!promise) std::abort();
}

constexpr std::size_t kMaxText = 2048;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  for (const auto& word : pw::scan::normalise_words(input)) {
    check(!word.empty());
    for (char c : word) check(c != ' ' && c != '\n' && !(c >= '0' && c <= '9'));
  }
  // ASCII text is lower-cased without GLib: the same text with a non-ASCII word after it goes
  // through GLib and must give the same words before that one.
  bool ascii = true;
  for (char c : input) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (ascii) {
    auto through_glib = pw::scan::normalise_words(std::string(input) + " \xC3\xA9");
    check(!through_glib.empty() && through_glib.back() == "\xC3\xA9");
    through_glib.pop_back();
    check(through_glib == pw::scan::normalise_words(input));
  }
  if (auto fp = pw::scan::fuzzy_fingerprint(input, 1)) {
    const std::string text = fp->to_string();
    auto parsed = pw::scan::FuzzyFingerprint::parse(text);
    check(parsed.has_value() && *parsed == *fp);
    check(pw::scan::similarity(*fp, *parsed) == 1.0);
  }
  if (auto parsed = pw::scan::FuzzyFingerprint::parse(input)) check(parsed->to_string() == input);
  pw::scan::MimeTextLimits limits;  // the fuzzer's own bounds ([scan] is not loaded here)
  limits.max_parts = 50;
  limits.max_depth = 5;
  limits.max_decoded_bytes = 256 * 1024;
  limits.max_header_fields = 1000;
  limits.max_scan_ms = 2000;
  check(pw::scan::fuzzy_body_text(input, kMaxText, limits).size() <= kMaxText);
  return 0;
}
