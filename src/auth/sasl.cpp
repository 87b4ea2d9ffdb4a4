// SASL PLAIN (RFC 4616) message parsing; the strict base64 of SMTP AUTH (RFC 4954 4) is
// util/base64.
// Trust: every byte comes from the SMTP client; malformed input yields nullopt, never a throw.
#include "auth/sasl.hpp"

#include <algorithm>

namespace pw::auth {
std::optional<PlainCredentials> parse_plain(std::string_view decoded) {
  // message = [authzid] UTF8NUL authcid UTF8NUL passwd: exactly two NULs, so none inside a field.
  if (std::count(decoded.begin(), decoded.end(), '\0') != 2) return std::nullopt;
  auto first = decoded.find('\0');
  auto second = decoded.find('\0', first + 1);
  PlainCredentials credentials{std::string(decoded.substr(0, first)),
                               std::string(decoded.substr(first + 1, second - first - 1)),
                               std::string(decoded.substr(second + 1))};
  if (credentials.username.empty() || credentials.password.empty()) return std::nullopt;
  return credentials;
}

}  // namespace pw::auth
