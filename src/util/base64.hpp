// Strict RFC 4648 base64 with padding, the original alphabet.
// Trust: base64_decode takes any bytes (SMTP clients, DNS records, files) and never throws.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace pw::util {

// Strict RFC 4648 base64: padding required, no whitespace; nullopt on any error.
std::optional<std::string> base64_decode(std::string_view text);
std::string base64_encode(std::string_view bytes);

}  // namespace pw::util
