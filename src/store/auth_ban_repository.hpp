// The AUTH bans of the brute-force guard, kept across restarts (issue 15, item 14): the gateway
// saves new bans on its periodic tick and at shutdown, and loads the unexpired ones at start.
// Bounded: at most `max_rows` rows, the soonest to expire go first; expired rows are deleted.
// Trust: IPs come from the socket layer (the peer address), never from a client's text.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "store/database.hpp"
#include "util/result.hpp"

namespace pw::store {

struct AuthBan {
  std::string ip;
  int64_t banned_until = 0;  // unix seconds
};

class AuthBanRepository {
 public:
  explicit AuthBanRepository(Database& db) : db_(db) {}

  // Saves (or extends) the bans, deletes those expired at `now`, and keeps at most `max_rows`.
  Result<void> save(const std::vector<AuthBan>& bans, int64_t now, size_t max_rows);
  // The bans still in force at `now`, the latest to expire first, at most `max_rows`.
  Result<std::vector<AuthBan>> active(int64_t now, size_t max_rows);

 private:
  Database& db_;
};

}  // namespace pw::store
