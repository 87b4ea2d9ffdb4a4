// Panel accounts and API tokens (F-PANEL).
#include "service/account_service.hpp"

#include <sodium.h>

#include <cctype>

#include "auth/password.hpp"
#include "mail/name_syntax.hpp"
#include "store/domain_repository.hpp"
#include "store/statement.hpp"
#include "util/sha256.hpp"
#include "util/sodium_init.hpp"

namespace pw::service {
namespace {

constexpr size_t kMaxAccountName = 64;
constexpr size_t kMaxTokenName = 100;
constexpr std::string_view kTokenPrefix = "pwt_";
// A token's last use is written at most this often (seconds): a script's every call need not
// cost a database write.
constexpr int64_t kLastUsedGranularity = 60;

constexpr std::string_view kSelectAccount =
    "SELECT a.id, a.username, a.role, COALESCE(d.name, ''), a.created_at, a.password_hash "
    "FROM accounts a LEFT JOIN domains d ON d.id = a.domain_id ";

Account read_account(sqlite3_stmt* stmt) {
  Account account;
  account.id = store::column_int(stmt, 0);
  account.username = store::column_text(stmt, 1);
  account.role = store::column_text(stmt, 2) == "domain" ? Role::kDomain : Role::kAdmin;
  account.domain = store::column_text(stmt, 3);
  account.created_at = store::column_int(stmt, 4);
  return account;
}

struct StoredAccount {
  Account account;
  std::string password_hash;
};

Outcome<std::optional<StoredAccount>> load(store::Database& db, std::string_view username) {
  auto stmt = store::query(db, std::string(kSelectAccount) + "WHERE a.username = ?1", {username});
  if (!stmt) return from_error(stmt.error(), Failure::Kind::kInternal);
  auto row = store::next_row(db, stmt->get());
  if (!row) return from_error(row.error(), Failure::Kind::kInternal);
  if (!*row) return std::optional<StoredAccount>();
  return StoredAccount{read_account(stmt->get()), store::column_text(stmt->get(), 5)};
}

// Verified against when the name is unknown, so that the answer's timing does not tell whether
// the account exists. Made once per process with the configured cost.
const std::string& dummy_hash(const auth::PasswordHashCost& cost) {
  static const std::string hash = [&cost] {
    (void)util::ensure_sodium();
    unsigned char random[32];
    randombytes_buf(random, sizeof random);
    auto made =
        auth::hash_password(std::string_view(reinterpret_cast<char*>(random), sizeof random), cost);
    return made ? *made : std::string();
  }();
  return hash;
}

auth::PasswordHashCost cost_of(const config::Config& config) {
  return {static_cast<uint64_t>(config.auth.password_hash_ops),
          static_cast<uint64_t>(config.auth.password_hash_mem_kib)};
}

}  // namespace

std::string_view to_string(Role role) { return role == Role::kDomain ? "domain" : "admin"; }

Outcome<Role> parse_role(std::string_view text) {
  if (text == "admin") return Role::kAdmin;
  if (text == "domain") return Role::kDomain;
  return invalid("role must be admin or domain");
}

Outcome<std::string> canonical_account_name(std::string_view text) {
  if (text.empty()) return invalid("an account name may not be empty");
  if (text.size() > kMaxAccountName)
    return invalid("an account name has at most " + std::to_string(kMaxAccountName) +
                   " characters");
  std::string out;
  for (char c : text) {
    char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool ok = (lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9') || lower == '.' ||
              lower == '_' || lower == '-' || lower == '@' || lower == '+';
    if (!ok) return invalid("an account name takes only letters, digits and . _ - @ +");
    out.push_back(lower);
  }
  return out;
}

Outcome<std::string> AccountService::hash_new_password(std::string_view username,
                                                       std::string_view password) {
  if (auto strong = auth::check_password_strength(
          password, username, static_cast<size_t>(config_.auth.password_min_length));
      !strong)
    return from_error(strong.error());
  auto hash = auth::hash_password(password, cost_of(config_));
  if (!hash) return from_error(hash.error(), Failure::Kind::kInternal);
  return *hash;
}

Outcome<Account> AccountService::add(const Actor& actor, std::string_view username, Role role,
                                     std::string_view domain, std::string_view password) {
  if (!actor.is_admin()) return forbidden();
  auto name = canonical_account_name(username);
  if (!name) return tl::unexpected(name.error());
  std::optional<int64_t> domain_id;
  if (role == Role::kDomain) {
    if (domain.empty()) return invalid("a domain account needs a domain");
    auto found = store::DomainRepository(db_).find(domain);
    if (!found) return from_error(found.error());
    if (!*found) return not_found("unknown domain " + std::string(domain));
    domain_id = (*found)->id;
  } else if (!domain.empty()) {
    return invalid("an admin account has no domain; give --role domain for a domain account");
  }
  auto existing = load(db_, *name);
  if (!existing) return tl::unexpected(existing.error());
  if (*existing) return refuse(Failure::Kind::kConflict, "account " + *name + " already exists");
  auto hash = hash_new_password(*name, password);
  if (!hash) return tl::unexpected(hash.error());
  auto inserted = store::run(
      db_,
      "INSERT INTO accounts(username, password_hash, role, domain_id, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5)",
      {*name, *hash, to_string(role),
       domain_id ? store::SqlValue(*domain_id) : store::SqlValue(nullptr), store::unix_now()});
  if (!inserted) return from_error(inserted.error(), Failure::Kind::kInternal);
  auto added = load(db_, *name);
  if (!added || !*added) return refuse(Failure::Kind::kInternal, "account vanished after insert");
  return (*added)->account;
}

Outcome<std::vector<Account>> AccountService::list(const Actor& actor) {
  if (!actor.is_admin()) return forbidden();
  auto stmt = store::query(db_, std::string(kSelectAccount) + "ORDER BY a.username");
  if (!stmt) return from_error(stmt.error(), Failure::Kind::kInternal);
  std::vector<Account> out;
  for (;;) {
    auto row = store::next_row(db_, stmt->get());
    if (!row) return from_error(row.error(), Failure::Kind::kInternal);
    if (!*row) break;
    out.push_back(read_account(stmt->get()));
  }
  return out;
}

Outcome<void> AccountService::remove(const Actor& actor, std::string_view username) {
  if (!actor.is_admin()) return forbidden();
  auto name = canonical_account_name(username);
  if (!name) return tl::unexpected(name.error());
  auto existing = load(db_, *name);
  if (!existing) return tl::unexpected(existing.error());
  if (!*existing) return not_found("no account " + *name);
  if ((*existing)->account.role == Role::kAdmin) {
    auto stmt = store::query(db_, "SELECT COUNT(*) FROM accounts WHERE role = 'admin'");
    if (!stmt) return from_error(stmt.error(), Failure::Kind::kInternal);
    auto row = store::next_row(db_, stmt->get());
    if (!row || !*row) return refuse(Failure::Kind::kInternal, "cannot count admin accounts");
    if (store::column_int(stmt->get(), 0) <= 1)
      return refuse(Failure::Kind::kConflict, "account " + *name +
                                                  " is the last admin account; add another "
                                                  "admin first");
  }
  auto removed = store::run(db_, "DELETE FROM accounts WHERE id = ?1", {(*existing)->account.id});
  if (!removed) return from_error(removed.error(), Failure::Kind::kInternal);
  return {};
}

Outcome<void> AccountService::set_password(const Actor& actor, std::string_view username,
                                           std::string_view password) {
  auto name = canonical_account_name(username);
  if (!name) return tl::unexpected(name.error());
  if (!actor.is_admin() && actor.name != *name) return forbidden();
  auto existing = load(db_, *name);
  if (!existing) return tl::unexpected(existing.error());
  if (!*existing) return not_found("no account " + *name);
  auto hash = hash_new_password(*name, password);
  if (!hash) return tl::unexpected(hash.error());
  auto changed = store::run(db_, "UPDATE accounts SET password_hash = ?1 WHERE id = ?2",
                            {*hash, (*existing)->account.id});
  if (!changed) return from_error(changed.error(), Failure::Kind::kInternal);
  return {};
}

Outcome<std::optional<Account>> AccountService::verify(std::string_view username,
                                                       std::string_view password) {
  auto name = canonical_account_name(username);
  std::optional<StoredAccount> stored;
  if (name) {
    auto found = load(db_, *name);
    if (!found) return tl::unexpected(found.error());
    stored = std::move(*found);
  }
  if (!stored) {
    (void)auth::verify_password(dummy_hash(cost_of(config_)), password);
    return std::optional<Account>();
  }
  if (!auth::verify_password(stored->password_hash, password)) return std::optional<Account>();
  return std::optional<Account>(stored->account);
}

Outcome<std::optional<Account>> AccountService::find(std::string_view username) {
  auto name = canonical_account_name(username);
  if (!name) return std::optional<Account>();
  auto found = load(db_, *name);
  if (!found) return tl::unexpected(found.error());
  if (!*found) return std::optional<Account>();
  return std::optional<Account>((*found)->account);
}

Outcome<NewApiToken> AccountService::create_token(const Actor& actor, std::string_view name) {
  if (name.empty() || name.size() > kMaxTokenName)
    return invalid("a token name has 1 to " + std::to_string(kMaxTokenName) + " characters");
  for (char c : name)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return invalid("a token name may not hold control characters");
  auto owner = load(db_, actor.name);
  if (!owner) return tl::unexpected(owner.error());
  if (!*owner) return forbidden("only a panel account can make API tokens");
  (void)util::ensure_sodium();
  unsigned char random[32];
  randombytes_buf(random, sizeof random);
  char hex[sizeof random * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, random, sizeof random);
  std::string secret = std::string(kTokenPrefix) + std::string(hex, sizeof random * 2);
  const int64_t now = store::unix_now();
  auto inserted = store::run(db_,
                             "INSERT INTO api_tokens(account_id, name, token_sha256, created_at) "
                             "VALUES (?1, ?2, ?3, ?4)",
                             {(*owner)->account.id, name, util::sha256_hex(secret), now});
  if (!inserted) return from_error(inserted.error(), Failure::Kind::kInternal);
  NewApiToken out;
  out.token = ApiToken{store::last_insert_id(db_), (*owner)->account.username, std::string(name),
                       now, std::nullopt};
  out.secret = std::move(secret);
  return out;
}

Outcome<std::vector<ApiToken>> AccountService::list_tokens(const Actor& actor) {
  auto stmt = store::query(db_,
                           "SELECT t.id, a.username, t.name, t.created_at, t.last_used_at "
                           "FROM api_tokens t JOIN accounts a ON a.id = t.account_id "
                           "WHERE a.username = ?1 ORDER BY t.id",
                           {actor.name});
  if (!stmt) return from_error(stmt.error(), Failure::Kind::kInternal);
  std::vector<ApiToken> out;
  for (;;) {
    auto row = store::next_row(db_, stmt->get());
    if (!row) return from_error(row.error(), Failure::Kind::kInternal);
    if (!*row) break;
    ApiToken token{store::column_int(stmt->get(), 0), store::column_text(stmt->get(), 1),
                   store::column_text(stmt->get(), 2), store::column_int(stmt->get(), 3),
                   std::nullopt};
    if (!store::column_is_null(stmt->get(), 4))
      token.last_used_at = store::column_int(stmt->get(), 4);
    out.push_back(std::move(token));
  }
  return out;
}

Outcome<void> AccountService::revoke_token(const Actor& actor, int64_t id) {
  auto removed = store::run(db_,
                            "DELETE FROM api_tokens WHERE id = ?1 AND account_id = "
                            "(SELECT id FROM accounts WHERE username = ?2)",
                            {id, actor.name});
  if (!removed) return from_error(removed.error(), Failure::Kind::kInternal);
  if (*removed == 0) return not_found("no token " + std::to_string(id));
  return {};
}

Outcome<std::optional<Account>> AccountService::account_for_token(std::string_view secret) {
  if (secret.size() != kTokenPrefix.size() + 64 ||
      secret.substr(0, kTokenPrefix.size()) != kTokenPrefix)
    return std::optional<Account>();
  const std::string digest = util::sha256_hex(secret);
  auto stmt = store::query(db_,
                           "SELECT t.id, COALESCE(t.last_used_at, 0), a.username FROM api_tokens t "
                           "JOIN accounts a ON a.id = t.account_id WHERE t.token_sha256 = ?1",
                           {digest});
  if (!stmt) return from_error(stmt.error(), Failure::Kind::kInternal);
  auto row = store::next_row(db_, stmt->get());
  if (!row) return from_error(row.error(), Failure::Kind::kInternal);
  if (!*row) return std::optional<Account>();
  const int64_t id = store::column_int(stmt->get(), 0);
  const int64_t last_used = store::column_int(stmt->get(), 1);
  const std::string username = store::column_text(stmt->get(), 2);
  stmt->reset();
  const int64_t now = store::unix_now();
  if (now - last_used >= kLastUsedGranularity)
    (void)store::run(db_, "UPDATE api_tokens SET last_used_at = ?1 WHERE id = ?2", {now, id});
  return find(username);
}

}  // namespace pw::service
