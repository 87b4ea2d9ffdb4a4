// Fuzzes the NRD feed reader of F-NRD (scan/nrd_feed.cpp) with whole CSV files.
// Promises checked: it never crashes; an error is one line starting "line N: " with N at most the
// number of lines; every entry's domain is lower-case, non-empty, has a dot and no byte outside
// LDH and dots; every time is at or after 1985-01-01; and each time string parse_nrd_time takes
// is read back the same when repeated with "Z".
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "scan/nrd_feed.hpp"

namespace {

void check(bool promise) {
  if (!promise) std::abort();
}

constexpr int64_t k1985 = 473385600;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto entries = pw::scan::parse_nrd_csv(text);
  if (!entries) {
    const std::string& message = entries.error().message;
    check(message.rfind("line ", 0) == 0);
    check(message.find('\n') == std::string::npos);
    size_t lines = 1;
    for (char c : text) lines += c == '\n' ? 1 : 0;
    check(std::strtoull(message.c_str() + 5, nullptr, 10) <= lines);
  } else {
    for (const auto& entry : *entries) {
      check(!entry.domain.empty() && entry.domain.find('.') != std::string::npos);
      for (char c : entry.domain)
        check((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.');
      check(entry.registered_at >= k1985);
    }
  }
  if (size <= 40) {
    auto at = pw::scan::parse_nrd_time(text);
    // Only the bare "YYYY-MM-DDTHH:MM:SS" form: a field with blanks around it (trimmed by the
    // reader) does not stay a time when "Z" follows the blanks.
    const bool bare =
        text.size() == 19 && text[10] == 'T' && text.front() > ' ' && text.back() > ' ';
    if (at && bare) check(pw::scan::parse_nrd_time(std::string(text) + "Z") == at);
  }
  return 0;
}
