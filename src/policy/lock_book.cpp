// Locks of users and identities, cached from and written through to the `locks` table.
#include "policy/lock_book.hpp"

#include "store/database.hpp"
#include "store/statement.hpp"

namespace pw::policy {
namespace {

constexpr std::string_view kSelect =
    "SELECT subject, locked, reason, locked_at, unlock_at, automatic_unlocks, locked_by "
    "FROM locks ";

LockState read_row(sqlite3_stmt* stmt) {
  LockState s;
  s.subject = store::column_text(stmt, 0);
  s.locked = store::column_int(stmt, 1) != 0;
  s.reason = store::column_text(stmt, 2);
  s.locked_at = store::column_int(stmt, 3);
  s.unlock_at = store::column_int(stmt, 4);
  s.automatic_unlocks = store::column_int(stmt, 5);
  s.locked_by = store::column_text(stmt, 6);
  return s;
}

}  // namespace

Result<std::vector<LockState>> read_locks(store::Database& db) {
  auto stmt = store::query(db, std::string(kSelect) + "ORDER BY subject", {});
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<LockState> out;
  for (;;) {
    auto row = store::next_row(db, stmt->get());
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    out.push_back(read_row(stmt->get()));
  }
  return out;
}

Result<std::optional<LockState>> read_lock(store::Database& db, const std::string& subject) {
  auto stmt = store::query(db, std::string(kSelect) + "WHERE subject = ?1", {subject});
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = store::next_row(db, stmt->get());
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<LockState>();
  return std::optional<LockState>(read_row(stmt->get()));
}

Result<void> write_lock(store::Database& db, const LockState& s) {
  auto r = store::run(db,
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

Result<LockState> admin_lock(store::Database& db, const std::string& subject,
                             const std::string& reason, int64_t now) {
  return db.transaction([&]() -> Result<LockState> {
    auto current = read_lock(db, subject);
    if (!current) return tl::unexpected(current.error());
    LockState s = current->value_or(LockState{});
    s.subject = subject;
    s.locked = true;
    s.reason = reason.empty() ? "locked by an administrator" : reason;
    s.locked_at = now;
    s.unlock_at = 0;
    s.locked_by = "admin";
    if (auto w = write_lock(db, s); !w) return tl::unexpected(w.error());
    return s;
  });
}

Result<LockState> admin_unlock(store::Database& db, const std::string& subject,
                               bool reset_unlocks) {
  return db.transaction([&]() -> Result<LockState> {
    auto current = read_lock(db, subject);
    if (!current) return tl::unexpected(current.error());
    if ((!*current || !(*current)->locked) && !reset_unlocks)
      return fail("not locked: " + subject.substr(subject.find(':') + 1));
    LockState s = current->value_or(LockState{});
    s.subject = subject;
    s.locked = false;
    s.unlock_at = 0;
    if (reset_unlocks) s.automatic_unlocks = 0;
    if (auto w = write_lock(db, s); !w) return tl::unexpected(w.error());
    return s;
  });
}

Result<void> LockBook::reload() {
  std::lock_guard lock(mutex_);
  auto all = read_locks(db_);
  if (!all) return tl::unexpected(all.error());
  locks_.clear();
  for (auto& s : *all) locks_.emplace(s.subject, std::move(s));
  return {};
}

std::optional<LockState> LockBook::active(const std::string& subject, int64_t now) {
  std::lock_guard lock(mutex_);
  auto it = locks_.find(subject);
  if (it == locks_.end() || !it->second.locked) return std::nullopt;
  auto& s = it->second;
  if (s.unlock_at != 0 && now >= s.unlock_at) {
    s.locked = false;
    ++s.automatic_unlocks;
    s.unlock_at = 0;
    (void)write_lock(db_, s);  // on failure the next reload shows the lock lifted again
    return std::nullopt;
  }
  return s;
}

Result<LockState> LockBook::lock_automatically(const std::string& subject,
                                               const std::string& reason, int64_t now,
                                               int64_t timeout_s, int64_t max_unlocks) {
  std::lock_guard lock(mutex_);
  LockState& s = locks_[subject];
  s.subject = subject;
  s.locked = true;
  s.reason = reason;
  s.locked_at = now;
  s.locked_by = "automatic";
  s.unlock_at = s.automatic_unlocks >= max_unlocks ? 0 : now + timeout_s;
  if (auto w = write_lock(db_, s); !w) return tl::unexpected(w.error());
  return s;
}

}  // namespace pw::policy
