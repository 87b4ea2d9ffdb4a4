// SASL PLAIN and LOGIN for SMTP AUTH (RFC 4954, RFC 4616); their base64 is util/base64.
// Trust: every byte comes from the SMTP client.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace pw::auth {

struct PlainCredentials {
  std::string authzid;
  std::string username;
  std::string password;
};
// Decoded PLAIN message "authzid\0authcid\0passwd"; nullopt when malformed or empty fields.
std::optional<PlainCredentials> parse_plain(std::string_view decoded);

}  // namespace pw::auth
