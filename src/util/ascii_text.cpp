// ASCII text helpers shared by every layer: a locale-free lower-caser and the quoting of user
// text in error messages.
// Trust: text may hold any byte; nothing here allocates more than the input (plus a few octets).
#include "util/ascii_text.hpp"

namespace pw::util {
namespace {

constexpr size_t kMaxQuotedText = 64;

}  // namespace

std::string ascii_lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string quote_for_message(std::string_view text) {
  std::string out = "\"";
  for (char c : text.substr(0, kMaxQuotedText)) {
    auto byte = static_cast<unsigned char>(c);
    out += (byte >= 0x20 && byte < 0x7f) ? c : '?';
  }
  if (text.size() > kMaxQuotedText) out += "...";
  return out + "\"";
}

}  // namespace pw::util
