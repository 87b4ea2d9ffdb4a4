// Command-line parsing for the SMTP server (RFC 5321 4.1, 4.1.2; RFC 1870; RFC 6152; RFC 6531).
// Hand-written: no maintained C++ library parses SMTP commands; the grammar is small and fuzzed
// (tests/fuzz/fuzz_command_parser.cpp).
// Trust: every byte comes from the SMTP client.
#include "smtp/command_parser.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "util/ascii_text.hpp"

namespace pw::smtp {
namespace {

bool istarts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && util::ascii_iequals(text.substr(0, prefix.size()), prefix);
}

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_atext(unsigned char c) {
  if (std::isalnum(c)) return true;
  constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~";
  return kSpecials.find(static_cast<char>(c)) != std::string_view::npos;
}

// Well-formed UTF-8 (no overlongs, no surrogates), RFC 3629.
bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t extra = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;
    for (size_t k = 1; k <= extra; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    constexpr std::array<uint32_t, 4> kMin = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

std::optional<std::string> local_part_error(std::string_view local, bool allow_utf8) {
  if (local.empty()) return "empty local part";
  if (local.size() > 64) return "local part longer than 64 octets";
  if (local.front() == '"') {
    if (local.size() < 2 || local.back() != '"') return "unterminated quoted local part";
    for (size_t i = 1; i + 1 < local.size(); ++i) {
      auto c = static_cast<unsigned char>(local[i]);
      if (c == '\\') {
        if (i + 2 >= local.size()) return "bad quoted pair";
        auto next = static_cast<unsigned char>(local[++i]);
        if (next < 32 || next > 126) return "bad quoted pair";
      } else if (c == '"' || c < 32 || c == 127 || (c >= 128 && !allow_utf8)) {
        return "bad character in quoted local part";
      }
    }
    return std::nullopt;
  }
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos)
    return "misplaced dot in local part";
  for (unsigned char c : local) {
    if (c == '.' || is_atext(c)) continue;
    if (c >= 128 && allow_utf8) continue;
    return "bad character in local part";
  }
  return std::nullopt;
}

std::optional<std::string> domain_error(std::string_view domain, bool allow_utf8) {
  if (domain.empty()) return "empty domain";
  if (domain.size() > 255) return "domain longer than 255 octets";
  if (domain.front() == '[') {
    if (domain.back() != ']') return "unterminated address literal";
    auto inner = domain.substr(1, domain.size() - 2);
    if (inner.empty()) return "empty address literal";
    for (unsigned char c : inner)
      if (!(std::isalnum(c) || c == '.' || c == ':')) return "bad address literal";
    return std::nullopt;
  }
  size_t start = 0;
  while (start <= domain.size()) {
    size_t end = domain.find('.', start);
    if (end == std::string_view::npos) end = domain.size();
    auto label = domain.substr(start, end - start);
    if (label.empty()) return "empty label in domain";
    if (label.size() > 63) return "label longer than 63 octets";
    if (label.front() == '-' || label.back() == '-') return "label starts or ends with a hyphen";
    for (unsigned char c : label) {
      if (std::isalnum(c) || c == '-') continue;
      if (c >= 128 && allow_utf8) continue;
      return "bad character in domain";
    }
    start = end + 1;
    if (end == domain.size()) break;
  }
  return std::nullopt;
}

// Finds the '>' that closes a path starting after '<', skipping quoted strings.
size_t find_path_end(std::string_view text) {
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted && c == '\\') {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == '>' && !quoted) {
      return i;
    }
  }
  return std::string_view::npos;
}

ParseError syntax(std::string text) { return {501, "5.5.4", std::move(text)}; }

// One MAIL parameter (RFC 1870 SIZE, RFC 6152 BODY, RFC 6531 SMTPUTF8, RFC 4954 AUTH) applied
// to `mail`; the error for an unknown or malformed one.
std::optional<ParseError> apply_mail_parameter(std::string_view param, MailParams& mail) {
  size_t eq = param.find('=');
  auto name = param.substr(0, eq);
  auto value = eq == std::string_view::npos ? std::string_view{} : param.substr(eq + 1);
  const bool has_value = eq != std::string_view::npos;
  if (util::ascii_iequals(name, "SIZE") && has_value) {
    uint64_t size = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), size);
    if (ec != std::errc() || p != value.data() + value.size() || value.size() > 20)
      return syntax("Bad SIZE value");
    mail.size = size;
  } else if (util::ascii_iequals(name, "BODY") && has_value) {
    if (util::ascii_iequals(value, "7BIT"))
      mail.body = BodyType::k7Bit;
    else if (util::ascii_iequals(value, "8BITMIME"))
      mail.body = BodyType::k8BitMime;
    else
      return ParseError{555, "5.5.4", "Unsupported BODY type"};
  } else if (util::ascii_iequals(name, "SMTPUTF8") && !has_value) {
    mail.smtputf8 = true;
  } else if (util::ascii_iequals(name, "AUTH") && has_value) {
    // RFC 4954 section 5: accepted; the session's own authentication decides.
  } else {
    return ParseError{555, "5.5.4", "Unsupported MAIL parameter " + std::string(name)};
  }
  return std::nullopt;
}

// "FROM:<path> params" / "TO:<path> params".
void parse_path_command(std::string_view argument, std::string_view keyword, ParsedCommand& out,
                        bool is_mail) {
  if (!istarts_with(argument, keyword)) {
    out.error = syntax(is_mail ? "Syntax: MAIL FROM:<address>" : "Syntax: RCPT TO:<address>");
    return;
  }
  auto rest = argument.substr(keyword.size());
  // Some clients put a space after the colon; RFC 5321 does not, but refusing them helps nobody.
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (rest.empty() || rest.front() != '<') {
    out.error = syntax(is_mail ? "Syntax: MAIL FROM:<address>" : "Syntax: RCPT TO:<address>");
    return;
  }
  size_t close = find_path_end(rest.substr(1));
  if (close == std::string_view::npos) {
    out.error = syntax("Unterminated address: missing '>'");
    return;
  }
  auto path = rest.substr(1, close);
  // A source route ("@a,@b:user@d") must be accepted and ignored (RFC 5321 4.1.2, C.).
  if (!path.empty() && path.front() == '@') {
    size_t colon = path.find(':');
    if (colon == std::string_view::npos) {
      out.error = syntax("Bad source route");
      return;
    }
    path.remove_prefix(colon + 1);
  }
  out.command.path = std::string(path);
  auto params = rest.substr(close + 2);
  if (!params.empty() && params.front() != ' ') {
    out.error = syntax("Expected a space before parameters");
    return;
  }
  while (!params.empty()) {
    params = trim_spaces(params);
    if (params.empty()) break;
    size_t space = params.find(' ');
    auto param = params.substr(0, space);
    params = space == std::string_view::npos ? std::string_view{} : params.substr(space);
    if (!is_mail) {
      out.error =
          ParseError{555, "5.5.4",
                     "Unsupported RCPT parameter " + std::string(param.substr(0, param.find('=')))};
      return;
    }
    if (auto error = apply_mail_parameter(param, out.command.mail)) {
      out.error = std::move(*error);
      return;
    }
  }
}

struct VerbName {
  std::string_view name;
  Verb verb;
};
constexpr std::array kVerbs = {
    VerbName{"EHLO", Verb::kEhlo},         VerbName{"HELO", Verb::kHelo},
    VerbName{"MAIL", Verb::kMail},         VerbName{"RCPT", Verb::kRcpt},
    VerbName{"DATA", Verb::kData},         VerbName{"RSET", Verb::kRset},
    VerbName{"NOOP", Verb::kNoop},         VerbName{"QUIT", Verb::kQuit},
    VerbName{"VRFY", Verb::kVrfy},         VerbName{"HELP", Verb::kHelp},
    VerbName{"STARTTLS", Verb::kStartTls}, VerbName{"AUTH", Verb::kAuth},
};

}  // namespace

bool is_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 128; });
}

std::optional<std::string> mailbox_syntax_error(std::string_view mailbox, bool allow_utf8) {
  if (mailbox.size() > 254) return "address longer than 254 octets";
  if (allow_utf8 && !valid_utf8(mailbox)) return "address is not valid UTF-8";
  // The local part may be quoted and hold '@': the domain starts after the last '@'.
  size_t at = mailbox.rfind('@');
  if (at == std::string_view::npos) return "address has no domain";
  if (auto e = local_part_error(mailbox.substr(0, at), allow_utf8)) return e;
  return domain_error(mailbox.substr(at + 1), allow_utf8);
}

ParsedCommand parse_command(std::string_view line) {
  ParsedCommand out;
  if (line.find('\0') != std::string_view::npos) {
    out.error = ParseError{500, "5.5.2", "NUL character in command line"};
    return out;
  }
  size_t space = line.find(' ');
  auto verb_text = line.substr(0, space);
  auto argument = space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
  while (!argument.empty() && argument.front() == ' ') argument.remove_prefix(1);
  while (!argument.empty() && argument.back() == ' ') argument.remove_suffix(1);
  out.command.argument = std::string(argument);
  for (const auto& v : kVerbs)
    if (util::ascii_iequals(verb_text, v.name)) out.command.verb = v.verb;

  switch (out.command.verb) {
    case Verb::kEhlo:
    case Verb::kHelo:
      if (argument.empty()) out.error = syntax("Syntax: EHLO hostname");
      break;
    case Verb::kMail:
      parse_path_command(argument, "FROM:", out, true);
      break;
    case Verb::kRcpt:
      parse_path_command(argument, "TO:", out, false);
      break;
    case Verb::kData:
    case Verb::kRset:
    case Verb::kQuit:
    case Verb::kStartTls:
      if (!argument.empty()) out.error = syntax("No parameters allowed");
      break;
    case Verb::kAuth:
      if (argument.empty()) out.error = syntax("Syntax: AUTH mechanism [initial-response]");
      break;
    case Verb::kVrfy:
      if (argument.empty()) out.error = syntax("Syntax: VRFY address");
      break;
    case Verb::kNoop:
    case Verb::kHelp:
    case Verb::kUnknown:
      break;
  }
  return out;
}

}  // namespace pw::smtp
