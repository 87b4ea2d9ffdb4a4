// Panel accounts and API tokens (F-PANEL): who may log in to the panel and the API, with which
// role; the one place that decides what is valid for the CLI (`admin ...`) and the API alike.
// Accounts: an admin (everything) or a domain admin (one existing domain). Passwords argon2id;
// API tokens are random and kept only as SHA-256 digests.
// Trust: names, passwords and token texts come from admins and from the network; all are checked
// here. Blocking (SQLite, argon2): run on the worker pool.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "service/actor.hpp"
#include "service/outcome.hpp"
#include "store/database.hpp"

namespace pw::service {

struct Account {
  int64_t id = 0;
  std::string username;  // lower-case
  Role role = Role::kAdmin;
  std::string domain;  // kDomain only
  int64_t created_at = 0;

  Actor actor() const { return Actor{role, username, domain}; }
};

struct ApiToken {
  int64_t id = 0;
  std::string account;
  std::string name;
  int64_t created_at = 0;
  std::optional<int64_t> last_used_at;
};

struct NewApiToken {
  ApiToken token;
  std::string secret;  // shown once: "pwt_" + 64 hex digits
};

std::string_view to_string(Role role);
Outcome<Role> parse_role(std::string_view text);

class AccountService {
 public:
  AccountService(store::Database& db, const config::Config& config) : db_(db), config_(config) {}

  // Admin only. A domain account needs `domain` to exist; an admin account takes none.
  // `password` must pass the strength rule ([auth] password_min_length).
  Outcome<Account> add(const Actor& actor, std::string_view username, Role role,
                       std::string_view domain, std::string_view password);
  Outcome<std::vector<Account>> list(const Actor& actor);
  // Admin only; the last admin account cannot be removed (the node would have no way in).
  Outcome<void> remove(const Actor& actor, std::string_view username);
  // An admin for any account, everyone for its own.
  Outcome<void> set_password(const Actor& actor, std::string_view username,
                             std::string_view password);
  // The account, or nullopt for a bad name or password (one answer for both; an unknown name
  // costs a hash verification all the same). Blocking for the whole argon2id verification.
  Outcome<std::optional<Account>> verify(std::string_view username, std::string_view password);
  Outcome<std::optional<Account>> find(std::string_view username);

  // The actor's own tokens.
  Outcome<NewApiToken> create_token(const Actor& actor, std::string_view name);
  Outcome<std::vector<ApiToken>> list_tokens(const Actor& actor);
  Outcome<void> revoke_token(const Actor& actor, int64_t id);
  // The account a token belongs to (its last use noted), nullopt for an unknown token.
  Outcome<std::optional<Account>> account_for_token(std::string_view secret);

 private:
  Outcome<std::string> hash_new_password(std::string_view username, std::string_view password);
  store::Database& db_;
  const config::Config& config_;
};

// A user name fit for an account: 1 to 64 of a-z 0-9 . _ - @ +, lower-cased.
Outcome<std::string> canonical_account_name(std::string_view text);

}  // namespace pw::service
