// SASL PLAIN and LOGIN for SMTP AUTH (RFC 4954, RFC 4616), and the strict base64 they use.
// Trust: every byte comes from the SMTP client.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace pw::auth {

// Strict RFC 4648 base64: padding required, no whitespace; nullopt on any error.
std::optional<std::string> base64_decode(std::string_view text);
std::string base64_encode(std::string_view bytes);

struct PlainCredentials {
  std::string authzid;
  std::string username;
  std::string password;
};
// Decoded PLAIN message "authzid\0authcid\0passwd"; nullopt when malformed or empty fields.
std::optional<PlainCredentials> parse_plain(std::string_view decoded);

}  // namespace pw::auth
