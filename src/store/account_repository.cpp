// Accounts and API tokens (see the header).
#include "store/account_repository.hpp"

#include "store/statement.hpp"

namespace pw::store {
namespace {

constexpr std::string_view kSelectAccount =
    "SELECT a.id, a.username, a.role, COALESCE(d.name, ''), a.created_at, a.password_hash "
    "FROM accounts a LEFT JOIN domains d ON d.id = a.domain_id ";

AccountRow read_account(const Row* stmt) {
  return {column_int(stmt, 0),  column_text(stmt, 1), column_text(stmt, 2),
          column_text(stmt, 3), column_int(stmt, 4),  column_text(stmt, 5)};
}

Result<void> changed(Result<int64_t> r) {
  if (!r) return tl::unexpected(r.error());
  return {};
}

}  // namespace

Result<std::optional<AccountRow>> AccountRepository::find(std::string_view username) {
  auto stmt = query(db_, std::string(kSelectAccount) + "WHERE a.username = ?1", {username});
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = next_row(db_, stmt->get());
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<AccountRow>();
  return std::optional<AccountRow>(read_account(stmt->get()));
}

Result<std::vector<AccountRow>> AccountRepository::list() {
  auto stmt = query(db_, std::string(kSelectAccount) + "ORDER BY a.username");
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<AccountRow> out;
  for (;;) {
    auto row = next_row(db_, stmt->get());
    if (!row) return tl::unexpected(row.error());
    if (!*row) return out;
    out.push_back(read_account(stmt->get()));
  }
}

Result<void> AccountRepository::add(std::string_view username, std::string_view password_hash,
                                    std::string_view role, std::optional<int64_t> domain_id,
                                    int64_t now) {
  return changed(run(
      db_,
      "INSERT INTO accounts(username, password_hash, role, domain_id, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5)",
      {username, password_hash, role, domain_id ? SqlValue(*domain_id) : SqlValue(nullptr), now}));
}

Result<int64_t> AccountRepository::count_admins() {
  auto stmt = query(db_, "SELECT COUNT(*) FROM accounts WHERE role = 'admin'");
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = next_row(db_, stmt->get());
  if (!row) return tl::unexpected(row.error());
  if (!*row) return fail("cannot count admin accounts");
  return column_int(stmt->get(), 0);
}

Result<void> AccountRepository::remove(int64_t id) {
  return changed(run(db_, "DELETE FROM accounts WHERE id = ?1", {id}));
}

Result<void> AccountRepository::set_password_hash(int64_t id, std::string_view password_hash) {
  return changed(
      run(db_, "UPDATE accounts SET password_hash = ?1 WHERE id = ?2", {password_hash, id}));
}

Result<int64_t> AccountRepository::add_token(int64_t account_id, std::string_view name,
                                             std::string_view secret_sha256, int64_t now) {
  auto inserted = run(db_,
                      "INSERT INTO api_tokens(account_id, name, token_sha256, created_at) VALUES "
                      "(?1, ?2, ?3, ?4)",
                      {account_id, name, secret_sha256, now});
  if (!inserted) return tl::unexpected(inserted.error());
  return last_insert_id(db_);
}

Result<std::vector<ApiTokenRow>> AccountRepository::tokens_of(std::string_view username) {
  auto stmt = query(db_,
                    "SELECT t.id, a.username, t.name, t.created_at, t.last_used_at FROM "
                    "api_tokens t JOIN accounts a ON a.id = t.account_id WHERE a.username = ?1 "
                    "ORDER BY t.id",
                    {username});
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<ApiTokenRow> out;
  for (;;) {
    auto row = next_row(db_, stmt->get());
    if (!row) return tl::unexpected(row.error());
    if (!*row) return out;
    ApiTokenRow token{column_int(stmt->get(), 0), column_text(stmt->get(), 1),
                      column_text(stmt->get(), 2), column_int(stmt->get(), 3), std::nullopt};
    if (!column_is_null(stmt->get(), 4)) token.last_used_at = column_int(stmt->get(), 4);
    out.push_back(std::move(token));
  }
}

Result<int64_t> AccountRepository::remove_token(int64_t id, std::string_view username) {
  return run(db_,
             "DELETE FROM api_tokens WHERE id = ?1 AND account_id = (SELECT id FROM accounts "
             "WHERE username = ?2)",
             {id, username});
}

Result<std::optional<TokenOwner>> AccountRepository::token_by_digest(
    std::string_view secret_sha256) {
  auto stmt = query(db_,
                    "SELECT t.id, COALESCE(t.last_used_at, 0), a.username FROM api_tokens t JOIN "
                    "accounts a ON a.id = t.account_id WHERE t.token_sha256 = ?1",
                    {secret_sha256});
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = next_row(db_, stmt->get());
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<TokenOwner>();
  return std::optional<TokenOwner>(TokenOwner{
      column_int(stmt->get(), 0), column_int(stmt->get(), 1), column_text(stmt->get(), 2)});
}

Result<void> AccountRepository::touch_token(int64_t id, int64_t now) {
  return changed(run(db_, "UPDATE api_tokens SET last_used_at = ?1 WHERE id = ?2", {now, id}));
}

}  // namespace pw::store
