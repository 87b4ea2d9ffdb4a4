// The panel's accounts and their API tokens (F-PANEL): the `accounts` and `api_tokens` rows.
// The rules (who may add whom, names, password strength, token secrets) are in
// service/account_service; this file only reads and writes them.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.hpp"
#include "util/result.hpp"

namespace pw::store {

struct AccountRow {
  int64_t id = 0;
  std::string username;
  std::string role;    // "admin" or "domain"
  std::string domain;  // "" for admins
  int64_t created_at = 0;
  std::string password_hash;
};

struct ApiTokenRow {
  int64_t id = 0;
  std::string account;  // the owner's username
  std::string name;
  int64_t created_at = 0;
  std::optional<int64_t> last_used_at;
};

// The token whose digest was asked for: its id, last use (0 = never) and owner.
struct TokenOwner {
  int64_t id = 0;
  int64_t last_used_at = 0;
  std::string username;
};

class AccountRepository {
 public:
  explicit AccountRepository(Database& db) : db_(db) {}

  Result<std::optional<AccountRow>> find(std::string_view username);
  Result<std::vector<AccountRow>> list();  // by username
  Result<void> add(std::string_view username, std::string_view password_hash, std::string_view role,
                   std::optional<int64_t> domain_id, int64_t now);
  Result<int64_t> count_admins();
  Result<void> remove(int64_t id);
  Result<void> set_password_hash(int64_t id, std::string_view password_hash);

  // Stores a token by the SHA-256 of its secret; returns its id.
  Result<int64_t> add_token(int64_t account_id, std::string_view name,
                            std::string_view secret_sha256, int64_t now);
  Result<std::vector<ApiTokenRow>> tokens_of(std::string_view username);  // by id
  // Removes token `id` when `username` owns it; returns how many rows went (0 or 1).
  Result<int64_t> remove_token(int64_t id, std::string_view username);
  Result<std::optional<TokenOwner>> token_by_digest(std::string_view secret_sha256);
  Result<void> touch_token(int64_t id, int64_t now);

 private:
  Database& db_;
};

}  // namespace pw::store
