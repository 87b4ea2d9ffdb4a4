// Locks of users and identities (F-LOCK, F-LOCK-ID, F-LOCK-TIMEOUT, F-LOCK-MAXUNLOCK): who is
// locked, why, since when, until when (0 = until an administrator unlocks), and how many times
// a lock has lifted by timeout. The `locks` table is the truth: every change is written at once
// (locks are rare), and the gateway re-reads the table when the CLI changes it.
// Thread-safe: the event loops read, changes take a mutex and a database connection of their own.
#pragma once
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/lock_repository.hpp"
#include "util/result.hpp"

namespace pw::policy {

using store::LockState;
// Database side, shared by the gateway and the CLI.
using store::read_lock;
using store::read_locks;
using store::write_lock;

// An administrator's lock (no timeout) or unlock; `reset_unlocks` also zeroes the count of
// automatic unlocks (so timeouts apply again).
Result<LockState> admin_lock(store::Database& db, const std::string& subject,
                             const std::string& reason, int64_t now);
Result<LockState> admin_unlock(store::Database& db, const std::string& subject, bool reset_unlocks);

class LockBook {
 public:
  explicit LockBook(store::Database& db) : db_(db) {}
  // Blocking: re-reads the table (at start and when the config generation changes).
  Result<void> reload();

  // The lock in force on `subject` now, if any. An automatic lock whose time is up lifts here
  // (counted, written) and is not returned. Blocking only when a lock lifts.
  std::optional<LockState> active(const std::string& subject, int64_t now);

  // Blocking: an automatic lock. It lifts after `timeout_s` unless the subject has already used
  // `max_unlocks` automatic unlocks; then only an administrator unlocks it.
  Result<LockState> lock_automatically(const std::string& subject, const std::string& reason,
                                       int64_t now, int64_t timeout_s, int64_t max_unlocks);

 private:
  store::Database& db_;
  std::mutex mutex_;
  std::map<std::string, LockState> locks_;
};

}  // namespace pw::policy
