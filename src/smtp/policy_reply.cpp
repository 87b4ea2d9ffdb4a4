// Policy verdicts as SMTP replies (RFC 5321 4.2, RFC 3463 enhanced codes).
#include "smtp/policy_reply.hpp"

#include <cctype>
#include <string>

namespace pw::smtp {
namespace {

bool digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

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
  std::string_view text = v.reply;
  if (text.size() < 5 || !digit(text[0]) || !digit(text[1]) || !digit(text[2]) || text[3] != ' ')
    return v.action == policy::Action::kTempfail
               ? Reply(451, "4.7.1", "Temporarily refused by policy; try again later")
               : Reply(550, "5.7.1", "Refused by policy");
  const int code = std::stoi(std::string(text.substr(0, 3)));
  text.remove_prefix(4);
  std::string enhanced;
  if (size_t space = text.find(' ');
      space != std::string_view::npos && enhanced_code(text.substr(0, space))) {
    enhanced = std::string(text.substr(0, space));
    text.remove_prefix(space + 1);
  }
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
  return Reply(code, enhanced, line);
}

}  // namespace pw::smtp
