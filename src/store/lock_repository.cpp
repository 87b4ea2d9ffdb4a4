// The locks table (see the header).
#include "store/lock_repository.hpp"

#include "store/statement.hpp"

namespace pw::store {
namespace {

constexpr std::string_view kSelect =
    "SELECT subject, locked, reason, locked_at, unlock_at, automatic_unlocks, locked_by "
    "FROM locks ";

LockState read_row(const Row* stmt) {
  LockState s;
  s.subject = column_text(stmt, 0);
  s.locked = column_int(stmt, 1) != 0;
  s.reason = column_text(stmt, 2);
  s.locked_at = column_int(stmt, 3);
  s.unlock_at = column_int(stmt, 4);
  s.automatic_unlocks = column_int(stmt, 5);
  s.locked_by = column_text(stmt, 6);
  return s;
}

}  // namespace

Result<std::vector<LockState>> read_locks(Database& db) {
  auto stmt = query(db, std::string(kSelect) + "ORDER BY subject", {});
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<LockState> out;
  for (;;) {
    auto row = next_row(db, stmt->get());
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    out.push_back(read_row(stmt->get()));
  }
  return out;
}

Result<std::optional<LockState>> read_lock(Database& db, const std::string& subject) {
  auto stmt = query(db, std::string(kSelect) + "WHERE subject = ?1", {subject});
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = next_row(db, stmt->get());
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<LockState>();
  return std::optional<LockState>(read_row(stmt->get()));
}

Result<std::vector<std::string>> locked_subjects(Database& db, int64_t now) {
  auto stmt = query(db,
                    "SELECT subject FROM locks WHERE locked = 1 AND (unlock_at = 0 OR unlock_at "
                    "> ?1)",
                    {now});
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<std::string> out;
  for (;;) {
    auto row = next_row(db, stmt->get());
    if (!row) return tl::unexpected(row.error());
    if (!*row) return out;
    out.push_back(column_text(stmt->get(), 0));
  }
}

Result<std::vector<LockState>> active_locks(Database& db, int64_t now) {
  auto stmt = query(db,
                    std::string(kSelect) +
                        "WHERE locked = 1 AND (unlock_at = 0 OR unlock_at > ?1) ORDER BY "
                        "locked_at DESC",
                    {now});
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<LockState> out;
  for (;;) {
    auto row = next_row(db, stmt->get());
    if (!row) return tl::unexpected(row.error());
    if (!*row) return out;
    out.push_back(read_row(stmt->get()));
  }
}

Result<void> write_lock(Database& db, const LockState& s) {
  auto r = run(db,
               "INSERT INTO locks(subject, locked, reason, locked_at, unlock_at, "
               "automatic_unlocks, locked_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
               "ON CONFLICT(subject) DO UPDATE SET locked = excluded.locked, reason = "
               "excluded.reason, locked_at = excluded.locked_at, unlock_at = "
               "excluded.unlock_at, automatic_unlocks = excluded.automatic_unlocks, "
               "locked_by = excluded.locked_by",
               {s.subject, s.locked ? 1 : 0, s.reason, s.locked_at, s.unlock_at,
                s.automatic_unlocks, s.locked_by});
  if (!r) return tl::unexpected(r.error());
  return {};
}

}  // namespace pw::store
