// Password hashing (argon2id via libsodium) and the strength rule for new passwords.
// Trust: passwords come from admins (CLI) and from SMTP clients (AUTH); never logged.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace pw::auth {

struct PasswordHashCost {
  uint64_t ops = 2;          // from config auth.password_hash_ops
  uint64_t mem_kib = 19456;  // from config auth.password_hash_mem_kib
};

Result<std::string> hash_password(std::string_view password, PasswordHashCost cost);
// Constant-time with respect to the password; false on any malformed hash.
bool verify_password(std::string_view stored_hash, std::string_view password);
// Refuses empty, short (< min_length), single-repeated-character, fewer than 4 distinct
// characters, or containing the user name; the error says which rule failed.
Result<void> check_password_strength(std::string_view password, std::string_view username,
                                     size_t min_length);
// A random password of `length` characters from an alphabet without look-alikes (0/O, 1/l/I),
// drawn from the system's CSPRNG; about 5.8 bits per character.
Result<std::string> generate_password(size_t length);

}  // namespace pw::auth
