// Policy verdicts as SMTP replies (RFC 5321 4.2, RFC 3463 enhanced codes).
#include "smtp/policy_reply.hpp"

#include <string>

namespace pw::smtp {
namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }

// RFC 3463 3.1: class "." subject "." detail, subject and detail of one to three digits.
bool enhanced_code(std::string_view token) {
  if (token.size() < 5 || !digit(token[0]) || token[1] != '.') return false;
  token.remove_prefix(2);
  for (int part = 0; part < 2; ++part) {
    size_t n = 0;
    while (n < token.size() && digit(token[n])) ++n;
    if (n == 0 || n > 3) return false;
    token.remove_prefix(n);
    if (part == 0) {
      if (token.empty() || token.front() != '.') return false;
      token.remove_prefix(1);
    }
  }
  return token.empty();
}

// One reply text: printable ASCII and spaces (a client's bytes may be in it).
void append_printable(std::string& out, std::string_view text) {
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 32 && u <= 126 ? c : '?');
  }
}

}  // namespace

Reply policy_reply(const policy::Verdict& v, std::string_view suffix) {
  const policy::Response& r = v.response;
  if (r.code < 400 || r.code > 599)
    return v.action == policy::Action::kTempfail
               ? Reply(451, "4.7.1", "Temporarily refused by policy; try again later")
               : Reply(550, "5.7.1", "Refused by policy");
  // An enhanced code of the wrong form or class is left out rather than sent.
  const bool enhanced_ok = enhanced_code(r.enhanced) && r.enhanced[0] == '0' + r.code / 100;
  std::string_view text = r.text;
  suffix = suffix.substr(0, kMaxPolicyReplyText / 2);
  const size_t room = kMaxPolicyReplyText - suffix.size();
  std::string line;
  if (text.size() > room) {
    append_printable(line, text.substr(0, room - 3));
    line += "...";
  } else {
    append_printable(line, text);
  }
  append_printable(line, suffix);
  return Reply(r.code, enhanced_ok ? r.enhanced : std::string(), line);
}

}  // namespace pw::smtp
