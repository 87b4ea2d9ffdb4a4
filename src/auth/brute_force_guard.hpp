// Counts failed AUTH attempts per client IP: each failure costs a growing delay, and an IP over
// the limit within the window is refused for a while. Thread-safe; bounded (oldest forgotten).
#pragma once
#include <chrono>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <vector>

#include "util/lru_map.hpp"

namespace pw::auth {

// From [auth] (app/ builds it); no default of its own.
struct BruteForceLimits {
  std::chrono::milliseconds failure_delay{0};
  std::chrono::milliseconds max_failure_delay{0};
  int64_t max_failures = 0;
  std::chrono::seconds failure_window{0};
  std::chrono::seconds ban_time{0};
  size_t tracked_ips = 0;
};

class BruteForceGuard {
 public:
  using Clock = std::chrono::steady_clock;
  explicit BruteForceGuard(BruteForceLimits limits);

  // True while `ip` is refused.
  bool is_banned(const std::string& ip, Clock::time_point now = Clock::now());
  // Records a failure; returns how long to wait before replying.
  std::chrono::milliseconds record_failure(const std::string& ip,
                                           Clock::time_point now = Clock::now());
  // A success does not erase failures (an attacker with one valid account must not reset them).
  size_t tracked() const;

  // Bans kept across restarts (issue 15, item 14): the bans made since the last call, each with
  // its end (at most tracked_ips of them; the oldest are dropped first), to be saved...
  struct Ban {
    std::string ip;
    Clock::time_point until;
  };
  std::vector<Ban> take_new_bans(Clock::time_point now = Clock::now());
  // ...and a saved ban put back at start; its end is capped at now + ban_time.
  void restore_ban(const std::string& ip, Clock::time_point until,
                   Clock::time_point now = Clock::now());

 private:
  struct Entry {
    std::vector<Clock::time_point> failures;  // within the window, at most max_failures kept
    Clock::time_point banned_until{};
  };
  Entry& entry_locked(const std::string& ip);
  BruteForceLimits limits_;
  std::list<std::string> new_bans_;  // IPs banned since take_new_bans, oldest first
  mutable std::mutex mutex_;
  util::LruMap<Entry> entries_;  // at most tracked_ips, the least recently failing dropped first
};

}  // namespace pw::auth
