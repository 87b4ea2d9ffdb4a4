// SHA-256 in lower-case hex (OpenSSL EVP): attachment hashes and the admin's hash block list
// (F-FUZZY).
#pragma once
#include <string>
#include <string_view>

namespace pw::util {

// 64 lower-case hex digits; "" only if OpenSSL fails.
std::string sha256_hex(std::string_view bytes);

// True for exactly 64 hex digits (either case).
bool is_sha256_hex(std::string_view text);

}  // namespace pw::util
