// Strict base64 (RFC 4648 4), using libsodium's constant-time, canonical-only codec: SMTP AUTH
// (RFC 4954 4), DKIM keys and signatures, and the other places that need the original alphabet.
// Trust: the input of base64_decode may be any byte; malformed input yields nullopt.
#include "util/base64.hpp"

#include <sodium.h>

#include "util/sodium_init.hpp"

namespace pw::util {
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

}  // namespace pw::util
