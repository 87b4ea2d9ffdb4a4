// Panel accounts and API tokens (F-PANEL).
#include "service/account_service.hpp"

#include <sodium.h>

#include <cctype>

#include "auth/password.hpp"
#include "mail/name_syntax.hpp"
#include "store/account_repository.hpp"
#include "store/domain_repository.hpp"
#include "store/statement.hpp"
#include "util/ascii_text.hpp"
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

Account account_of(const store::AccountRow& row) {
  Account account;
  account.id = row.id;
  account.username = row.username;
  account.role = row.role == "domain" ? Role::kDomain : Role::kAdmin;
  account.domain = row.domain;
  account.created_at = row.created_at;
  return account;
}

struct StoredAccount {
  Account account;
  std::string password_hash;
};

Outcome<std::optional<StoredAccount>> load(store::Database& db, std::string_view username) {
  auto row = store::AccountRepository(db).find(username);
  if (!row) return from_error(row.error(), Failure::Kind::kInternal);
  if (!*row) return std::optional<StoredAccount>();
  return StoredAccount{account_of(**row), (*row)->password_hash};
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
    const char lower = util::ascii_lower(c);
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
  auto inserted = store::AccountRepository(db_).add(*name, *hash, to_string(role), domain_id,
                                                    store::unix_now());
  if (!inserted) return from_error(inserted.error(), Failure::Kind::kInternal);
  auto added = load(db_, *name);
  if (!added || !*added) return refuse(Failure::Kind::kInternal, "account vanished after insert");
  return (*added)->account;
}

Outcome<std::vector<Account>> AccountService::list(const Actor& actor) {
  if (!actor.is_admin()) return forbidden();
  auto rows = store::AccountRepository(db_).list();
  if (!rows) return from_error(rows.error(), Failure::Kind::kInternal);
  std::vector<Account> out;
  for (const auto& row : *rows) out.push_back(account_of(row));
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
    auto admins = store::AccountRepository(db_).count_admins();
    if (!admins) return refuse(Failure::Kind::kInternal, "cannot count admin accounts");
    if (*admins <= 1)
      return refuse(Failure::Kind::kConflict, "account " + *name +
                                                  " is the last admin account; add another "
                                                  "admin first");
  }
  auto removed = store::AccountRepository(db_).remove((*existing)->account.id);
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
  auto changed = store::AccountRepository(db_).set_password_hash((*existing)->account.id, *hash);
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
  auto inserted = store::AccountRepository(db_).add_token((*owner)->account.id, name,
                                                          util::sha256_hex(secret), now);
  if (!inserted) return from_error(inserted.error(), Failure::Kind::kInternal);
  NewApiToken out;
  out.token = ApiToken{*inserted, (*owner)->account.username, std::string(name), now, std::nullopt};
  out.secret = std::move(secret);
  return out;
}

Outcome<std::vector<ApiToken>> AccountService::list_tokens(const Actor& actor) {
  auto rows = store::AccountRepository(db_).tokens_of(actor.name);
  if (!rows) return from_error(rows.error(), Failure::Kind::kInternal);
  std::vector<ApiToken> out;
  for (auto& row : *rows)
    out.push_back(ApiToken{row.id, std::move(row.account), std::move(row.name), row.created_at,
                           row.last_used_at});
  return out;
}

Outcome<void> AccountService::revoke_token(const Actor& actor, int64_t id) {
  auto removed = store::AccountRepository(db_).remove_token(id, actor.name);
  if (!removed) return from_error(removed.error(), Failure::Kind::kInternal);
  if (*removed == 0) return not_found("no token " + std::to_string(id));
  return {};
}

Outcome<std::optional<Account>> AccountService::account_for_token(std::string_view secret) {
  if (secret.size() != kTokenPrefix.size() + 64 ||
      secret.substr(0, kTokenPrefix.size()) != kTokenPrefix)
    return std::optional<Account>();
  const std::string digest = util::sha256_hex(secret);
  store::AccountRepository accounts(db_);
  auto owner = accounts.token_by_digest(digest);
  if (!owner) return from_error(owner.error(), Failure::Kind::kInternal);
  if (!*owner) return std::optional<Account>();
  const int64_t now = store::unix_now();
  if (now - (*owner)->last_used_at >= kLastUsedGranularity)
    (void)accounts.touch_token((*owner)->id, now);
  return find((*owner)->username);
}

}  // namespace pw::service
