// Parses one SMTP command line (RFC 5321 4.1) into a verb and its arguments, including the
// reverse/forward paths and ESMTP parameters of MAIL and RCPT (RFC 1870, 6152, 6531).
// Trust: every byte comes from the SMTP client; nothing here allocates more than the line.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/origin.hpp"

namespace pw::smtp {

enum class Verb {
  kEhlo,
  kHelo,
  kMail,
  kRcpt,
  kData,
  kRset,
  kNoop,
  kQuit,
  kVrfy,
  kHelp,
  kStartTls,
  kAuth,
  kUnknown
};

using BodyType = mail::BodyType;

struct MailParams {
  std::optional<uint64_t> size;  // SIZE= (RFC 1870)
  BodyType body = BodyType::k7Bit;
  bool smtputf8 = false;  // RFC 6531
};

struct Command {
  Verb verb = Verb::kUnknown;
  std::string argument;  // the text after the verb, leading spaces removed
  // MAIL / RCPT only:
  std::string path;  // the address between < >, "" for the null reverse-path
  MailParams mail;
};

struct ParseError {
  int code;
  std::string enhanced;
  std::string text;
};

struct ParsedCommand {
  Command command;
  std::optional<ParseError> error;  // set when the verb is known but its syntax is bad
};

// `line` excludes the CRLF. Verbs are case-insensitive.
ParsedCommand parse_command(std::string_view line);

// Syntax of a mailbox (RFC 5321 4.1.2 Mailbox; RFC 6531 when utf8 is allowed): local-part up to
// 64 octets (dot-string or quoted-string), domain up to 255 octets (LDH labels or an address
// literal). Returns an error text or nullopt when valid.
std::optional<std::string> mailbox_syntax_error(std::string_view mailbox, bool allow_utf8);

bool is_ascii(std::string_view text);

}  // namespace pw::smtp
