// Locks of users and identities, cached from and written through to the `locks` table.
#include "policy/lock_book.hpp"

#include "store/database.hpp"
#include "store/statement.hpp"

namespace pw::policy {

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
