// argon2id password hashes (libsodium's crypto_pwhash_str_alg), the strength rule for new
// passwords, and random passwords for new senders.
// Trust: passwords come from admins and SMTP clients; they are never logged or echoed in errors.
#include "auth/password.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "mail/name_syntax.hpp"
#include "util/ascii_text.hpp"
#include "util/sodium_init.hpp"

namespace pw::auth {
namespace {

// Fixed parts of the strength rule (password.hpp); the minimum length is the tunable one and
// comes from auth.password_min_length.
constexpr size_t kMinDistinctCharacters = 4;
// The local part of an e-mail user name is refused inside a password only from this length on,
// so that a one-letter local part does not forbid that letter.
constexpr size_t kMinNameFragment = 3;
constexpr size_t kBytesPerKib = 1024;
constexpr std::string_view kArgon2idPrefix = "$argon2id$";
constexpr std::string_view kUnambiguousAlphabet =
    "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";

// Characters as a person counts them: UTF-8 continuation bytes do not start a new one.
std::vector<std::string_view> characters(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 1; i <= text.size(); ++i) {
    if (i == text.size() || (static_cast<unsigned char>(text[i]) & 0xc0) != 0x80) {
      out.push_back(text.substr(start, i - start));
      start = i;
    }
  }
  return out;
}

}  // namespace

Result<std::string> hash_password(std::string_view password, PasswordHashCost cost) {
  if (auto ready = util::ensure_sodium(); !ready) return tl::unexpected(ready.error());
  if (password.size() > crypto_pwhash_PASSWD_MAX) return fail("password is too long");
  if (cost.ops < crypto_pwhash_OPSLIMIT_MIN || cost.ops > crypto_pwhash_OPSLIMIT_MAX) {
    return fail("password hash cost: ops " + std::to_string(cost.ops) + " out of range");
  }
  if (cost.mem_kib > std::numeric_limits<size_t>::max() / kBytesPerKib ||
      cost.mem_kib * kBytesPerKib < crypto_pwhash_MEMLIMIT_MIN ||
      cost.mem_kib * kBytesPerKib > crypto_pwhash_MEMLIMIT_MAX) {
    return fail("password hash cost: memory " + std::to_string(cost.mem_kib) + " KiB out of range");
  }
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(), cost.ops,
                            static_cast<size_t>(cost.mem_kib * kBytesPerKib),
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return fail("cannot hash the password: out of memory");
  }
  return std::string(out.data());
}

bool verify_password(std::string_view stored_hash, std::string_view password) {
  if (!util::ensure_sodium()) return false;
  if (stored_hash.size() >= crypto_pwhash_STRBYTES || !stored_hash.starts_with(kArgon2idPrefix) ||
      stored_hash.find('\0') != std::string_view::npos ||
      password.size() > crypto_pwhash_PASSWD_MAX) {
    return false;
  }
  std::string terminated(stored_hash);
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

Result<void> check_password_strength(std::string_view password, std::string_view username,
                                     size_t min_length) {
  if (password.empty()) return fail("the password is empty");
  if (std::any_of(password.begin(), password.end(), [](char c) {
        auto byte = static_cast<unsigned char>(c);
        return byte < 0x20 || byte == 0x7f;
      })) {
    return fail("the password contains control characters");
  }
  auto chars = characters(password);
  if (chars.size() < min_length) {
    return fail("the password is too short: " + std::to_string(chars.size()) +
                (chars.size() == 1 ? " character" : " characters") + ", at least " +
                std::to_string(min_length) + " required");
  }
  std::set<std::string_view> distinct(chars.begin(), chars.end());
  if (distinct.size() == 1) return fail("the password repeats a single character");
  if (distinct.size() < kMinDistinctCharacters) {
    return fail("the password has fewer than " + std::to_string(kMinDistinctCharacters) +
                " different characters");
  }
  std::string lower_password = util::ascii_lowercase(password);
  std::string lower_username = util::ascii_lowercase(username);
  if (!lower_username.empty() && lower_password.find(lower_username) != std::string::npos) {
    return fail("the password contains the user name");
  }
  auto at = lower_username.rfind('@');
  if (at != std::string::npos && at >= kMinNameFragment &&
      lower_password.find(lower_username.substr(0, at)) != std::string::npos) {
    return fail("the password contains the local part of the user name");
  }
  return {};
}

Result<std::string> generate_password(size_t length) {
  if (auto ready = util::ensure_sodium(); !ready) return tl::unexpected(ready.error());
  std::string password;
  password.reserve(length);
  for (size_t i = 0; i < length; ++i) {
    password += kUnambiguousAlphabet[randombytes_uniform(
        static_cast<uint32_t>(kUnambiguousAlphabet.size()))];
  }
  return password;
}

}  // namespace pw::auth
