// Names of the kinds of sender, as stored in the database and shown by the CLI.
// parse_sender_kind is the only way back from text, so an unknown kind is never guessed.
#include "mail/sender.hpp"

namespace pw::mail {

std::string_view to_string(SenderKind kind) {
  switch (kind) {
    case SenderKind::kIp:
      return "ip";
    case SenderKind::kUser:
      return "user";
    case SenderKind::kDomain:
      return "domain";
  }
  return "ip";
}

std::optional<SenderKind> parse_sender_kind(std::string_view text) {
  if (text == "ip") return SenderKind::kIp;
  if (text == "user") return SenderKind::kUser;
  if (text == "domain") return SenderKind::kDomain;
  return std::nullopt;
}

}  // namespace pw::mail
