// Extracts the address of the From header field.
#include "policy/header_from.hpp"

#include <algorithm>
#include <optional>

#include "mail/name_syntax.hpp"
#include "util/ascii_text.hpp"

namespace pw::policy {
namespace {

constexpr size_t kMaxFieldLength = 4096;

bool starts_with_from(std::string_view line) {
  return line.size() >= 5 && util::ascii_lowercase(line.substr(0, 5)) == "from:";
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Removes (comments), honouring nesting and quoted strings.
std::string strip_comments(std::string_view value) {
  std::string out;
  int depth = 0;
  bool quoted = false;
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c == '\\' && i + 1 < value.size()) {
      if (depth == 0) {
        out += c;
        out += value[i + 1];
      }
      ++i;
      continue;
    }
    if (depth == 0 && c == '"') quoted = !quoted;
    if (!quoted && c == '(') {
      ++depth;
      continue;
    }
    if (!quoted && c == ')' && depth > 0) {
      --depth;
      continue;
    }
    if (depth == 0) out += c;
  }
  return out;
}

// The unfolded value of the first From field of the header section; nullopt when there is none
// or it is longer than kMaxFieldLength.
std::optional<std::string> from_field(std::string_view message) {
  std::string field;
  bool in_from = false;
  size_t pos = 0;
  while (pos < message.size()) {
    size_t end = message.find("\r\n", pos);
    if (end == std::string_view::npos) end = message.size();
    std::string_view line = message.substr(pos, end - pos);
    pos = end + 2;
    if (line.empty()) break;  // end of the header section
    bool continuation = line.front() == ' ' || line.front() == '\t';
    if (in_from && continuation) {
      field += line;
    } else if (in_from) {
      break;
    } else if (starts_with_from(line)) {
      in_from = true;
      field = std::string(line.substr(5));
    }
    if (field.size() > kMaxFieldLength) return std::nullopt;
  }
  if (!in_from) return std::nullopt;
  return field;
}

// The address of a one-sender value (comments stripped), "" for a list, a group or bad syntax.
std::string single_address(const std::string& value) {
  // One pass outside quoted strings: where the angle-addr is, and whether the field holds a
  // list (',') or a group (':'), which are not one sender.
  size_t open = std::string::npos, close = std::string::npos;
  int angles = 0;
  bool quoted = false;
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c == '\\' && i + 1 < value.size()) {
      ++i;
      continue;
    }
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == ',' || c == ':' || c == ';') return "";
    if (c == '<') {
      if (++angles > 1 || open != std::string::npos) return "";
      open = i;
    } else if (c == '>') {
      if (open == std::string::npos || close != std::string::npos) return "";
      close = i;
    }
  }
  if (quoted) return "";
  if (open == std::string::npos) return close == std::string::npos ? std::string(trim(value)) : "";
  if (close == std::string::npos || !trim(std::string_view(value).substr(close + 1)).empty())
    return "";
  return std::string(trim(std::string_view(value).substr(open + 1, close - open - 1)));
}

}  // namespace

std::string header_from_address(std::string_view message) {
  auto field = from_field(message);
  if (!field) return "";
  const std::string address = single_address(strip_comments(*field));
  // One addr-spec: one '@', something on both sides, no space, quote or control character.
  if (address.empty() || std::count(address.begin(), address.end(), '@') != 1) return "";
  for (char c : address) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '"' || c == '<' || c == '>') return "";
  }
  auto at = address.find('@');
  if (at == 0 || at + 1 == address.size()) return "";
  return address.substr(0, at + 1) + util::ascii_lowercase(address.substr(at + 1));
}

}  // namespace pw::policy
