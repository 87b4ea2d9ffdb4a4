// ASCII text helpers: one lower-caser and one quoting of untrusted text for error messages.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace pw::util {

// One byte lower-cased if it is an ASCII capital letter; every other byte unchanged.
constexpr char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Equal when ASCII letters are compared without their case; every other byte must match.
constexpr bool ascii_iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

// ASCII letters lower-cased, every other byte kept: DNS names and the local parts we accept are
// ASCII, and a UTF-8 byte must never be mangled by a locale.
std::string ascii_lowercase(std::string_view text);

// `text` in double quotes for an error message: non-printable bytes as '?', long text cut short.
std::string quote_for_message(std::string_view text);

}  // namespace pw::util
