// AUTH bans kept across restarts (issue 15, item 14): loads the unexpired bans of the database
// into the brute-force guard at start, and saves the guard's new bans on the gateway's periodic
// tick and at shutdown. Blocking (SQLite): call on the worker pool or before the loops run.
// A ban made less than one tick before a crash (kill -9) is lost; a clean stop saves it.
#pragma once
#include <cstddef>

#include "auth/brute_force_guard.hpp"
#include "store/database.hpp"
#include "util/result.hpp"

namespace pw::app {

// Puts the database's unexpired bans (at most max_rows) back into `guard`; returns how many.
Result<size_t> load_auth_bans(store::Database& db, auth::BruteForceGuard& guard, size_t max_rows);
// Saves the bans made since the last call, deletes expired rows, keeps at most max_rows.
// Fails open: an error is logged, the bans stay in force in memory.
void save_auth_bans(store::Database& db, auth::BruteForceGuard& guard, size_t max_rows);

}  // namespace pw::app
