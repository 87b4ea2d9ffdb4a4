// Extracts the address of the From header field.
#include "policy/header_from.hpp"

#include <algorithm>

#include "auth/name_syntax.hpp"

namespace pw::policy {
namespace {

constexpr size_t kMaxFieldLength = 4096;

bool starts_with_from(std::string_view line) {
  return line.size() >= 5 && auth::ascii_lowercase(line.substr(0, 5)) == "from:";
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

}  // namespace

std::string header_from_address(std::string_view message) {
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
      if (field.size() + line.size() > kMaxFieldLength) return "";
      field += line;
      continue;
    }
    if (in_from) break;
    if (starts_with_from(line)) {
      in_from = true;
      field = std::string(line.substr(5));
    }
  }
  if (!in_from) return "";
  std::string value = strip_comments(field);
  std::string_view v = trim(value);
  std::string address;
  auto open = v.rfind('<');
  if (open != std::string_view::npos) {
    auto close = v.find('>', open);
    if (close == std::string_view::npos || !trim(v.substr(close + 1)).empty()) return "";
    if (v.substr(0, open).find('<') != std::string_view::npos) return "";  // several mailboxes
    address = std::string(trim(v.substr(open + 1, close - open - 1)));
  } else {
    address = std::string(v);
  }
  // One mailbox only: a list or a group is not a usable sender here.
  if (address.empty() || address.find(',') != std::string::npos ||
      address.find(';') != std::string::npos || address.find(' ') != std::string::npos)
    return "";
  auto at = address.rfind('@');
  if (at == std::string::npos || at == 0 || at + 1 == address.size()) return "";
  return address.substr(0, at + 1) + auth::ascii_lowercase(address.substr(at + 1));
}

}  // namespace pw::policy
