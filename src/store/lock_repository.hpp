// The `locks` table (F-LOCK, F-LOCK-ID): who is locked, why, since when, until when. The rules
// (automatic locks, timeouts, administrators' locks) are in policy/lock_book.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/database.hpp"
#include "util/result.hpp"

namespace pw::store {

struct LockState {
  std::string subject;  // "user:<name>" or "identity:<user>/<identity>"
  bool locked = false;
  std::string reason;
  int64_t locked_at = 0;
  int64_t unlock_at = 0;  // 0: only an administrator unlocks
  int64_t automatic_unlocks = 0;
  std::string locked_by;  // "automatic" or "admin"
};

// Every lock row, by subject.
Result<std::vector<LockState>> read_locks(Database& db);
Result<std::optional<LockState>> read_lock(Database& db, const std::string& subject);
// The subjects locked at `now` (an automatic lock whose time is up is not).
Result<std::vector<std::string>> locked_subjects(Database& db, int64_t now);
// The locks in force at `now`, the newest first.
Result<std::vector<LockState>> active_locks(Database& db, int64_t now);
// Inserts the row or replaces it.
Result<void> write_lock(Database& db, const LockState& state);

}  // namespace pw::store
