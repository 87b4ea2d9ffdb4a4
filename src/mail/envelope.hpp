// One message's envelope as the gateway accepted it: who sent it, from where, to whom, and how.
// The spool, the quarantine, the archive and the abuse reports keep it with the message.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/origin.hpp"
#include "util/result.hpp"

namespace pw::mail {

struct Envelope {
  std::string id;
  int64_t received_at = 0;  // unix seconds
  std::string client_ip;
  std::string helo;
  bool tls = false;
  std::optional<std::string> auth_user;  // the SMTP AUTH name, when the client authenticated
  Origin sender_kind = Origin::kIp;      // an outgoing user's kind, or what the gateway wrote
  std::string sender;                    // the outgoing user's name (CIDR, address, domain)
  std::string domain;                    // the outgoing user's domain
  std::string mail_from;
  std::vector<std::string> rcpt_to;
  uint64_t size = 0;
  BodyType body = BodyType::k7Bit;
  bool smtputf8 = false;
  std::string identity;  // F-IDENT: the identity the policy found ("" = none)

  std::string to_json_line() const;  // one line, no newline
  static Result<Envelope> from_json_line(std::string_view line);
};

}  // namespace pw::mail
