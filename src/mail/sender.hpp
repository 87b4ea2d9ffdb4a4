// Who is sending: the outgoing user a session is bound to (F-AUTH-IP, F-AUTH-USER, F-AUTH-DOMAIN).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pw::mail {

enum class SenderKind { kIp, kUser, kDomain };

std::string_view to_string(SenderKind kind);                         // "ip", "user", "domain"
std::optional<SenderKind> parse_sender_kind(std::string_view text);  // the inverse

struct Sender {
  int64_t user_id = 0;
  SenderKind kind = SenderKind::kIp;
  std::string name;    // canonical CIDR, e-mail address (lower-cased) or domain name
  std::string domain;  // the domain the user belongs to
};

}  // namespace pw::mail
