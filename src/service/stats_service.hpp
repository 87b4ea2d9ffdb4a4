// The dashboard's figures (F-PANEL): per hour (last 24) or per day (last 30) the messages sent
// (delivered), blocked (rejected by a policy check), quarantined and deferred; the busiest users
// and identities of the last 24 hours; the users and identities locked now. A domain admin gets
// its own domain's figures only. Every count is an index range read (migration 12).
// Blocking (SQLite): call from a worker thread.
#pragma once
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "service/actor.hpp"
#include "service/outcome.hpp"
#include "store/database.hpp"

namespace pw::service {

inline constexpr int64_t kHourBuckets = 24;
inline constexpr int64_t kDayBuckets = 30;
inline constexpr int64_t kTopListSize = 10;
inline constexpr int64_t kTopWindowSeconds = 86400;  // top senders: the last 24 hours

struct StatsBucket {
  int64_t start = 0;
  int64_t sent = 0, blocked = 0, quarantined = 0, deferred = 0;
};
struct TopSender {
  std::string user, identity;  // identity "" in top_senders
  int64_t messages = 0;
};
struct LockEntry {
  std::string user, identity;    // identity "" for a user's lock
  int64_t since = 0, until = 0;  // until 0: until unlocked
  std::string reason;
};
struct Stats {
  std::string period;                // "hour" or "day"
  std::vector<StatsBucket> buckets;  // oldest first, the current one last
  std::vector<TopSender> top_senders, top_identities;
  std::vector<LockEntry> user_locks, identity_locks;
};

// `period` "hour" (default) or "day"; `domain` as in log search (403 for another domain).
Outcome<Stats> dashboard_stats(const Actor& actor, store::Database& db,
                               const std::optional<std::string>& period,
                               const std::optional<std::string>& domain, int64_t now);

nlohmann::json stats_json(const Stats& stats);

}  // namespace pw::service
