// SASL PLAIN (RFC 4616) message parsing and the strict base64 of SMTP AUTH (RFC 4954 4), using
// libsodium's constant-time, canonical-only base64 codec.
// Trust: every byte comes from the SMTP client; malformed input yields nullopt, never a throw.
#include "auth/sasl.hpp"

#include <sodium.h>

#include <algorithm>
#include <vector>

#include "auth/sodium_init.hpp"

namespace pw::auth {
namespace {

constexpr size_t kBase64Quantum = 4;  // RFC 4648 4: four characters encode three octets
constexpr size_t kOctetsPerQuantum = 3;

}  // namespace

std::optional<std::string> base64_decode(std::string_view text) {
  if (!ensure_sodium()) return std::nullopt;
  if (text.size() % kBase64Quantum != 0) return std::nullopt;
  std::string out(text.size() / kBase64Quantum * kOctetsPerQuantum, '\0');
  size_t length = 0;
  // No ignored characters and no end pointer: any whitespace or trailing byte is an error, and
  // libsodium refuses missing padding and non-zero bits after the last octet.
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &length, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    return std::nullopt;
  }
  out.resize(length);
  return out;
}

std::string base64_encode(std::string_view bytes) {
  if (!ensure_sodium()) return {};
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the encoder writes a terminating NUL
  return out;
}

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
