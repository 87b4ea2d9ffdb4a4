// Panel login limits (F-PANEL; issue 15, item 8). Three counters, none of which can lock an
// account out for everybody:
//   - attempts per client address within a minute (an IPv6 /64 counts as one address);
//   - failed logins per (client address, account) within the failure window;
//   - failed logins per account from any address: they slow the account's logins down (a delay
//     that doubles per failure, bounded) but never refuse them.
// A refused attempt (429) is not counted. Bounded: each map forgets its least recently seen keys
// first. Thread-safe. Fails open for the account (a slowed account still logs in) and closed for
// an address over its limits.
// Trust: keys come from the network (the client IP) and from the request body (the name).
#pragma once
#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>

#include "util/lru_map.hpp"

namespace pw::http {

// From [http] (api/api_context builds it); no default of its own.
struct LoginLimits {
  size_t attempts_per_minute = 0;           // per client address
  size_t failures_per_address_account = 0;  // within failure_window
  std::chrono::seconds failure_window{0};
  std::chrono::milliseconds failure_delay{0};  // after the account's first failure
  std::chrono::milliseconds max_failure_delay{0};
  size_t max_keys = 0;  // per map
};

class LoginLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LoginLimiter(LoginLimits limits);

  struct Admission {
    bool allowed = false;
    std::chrono::milliseconds delay{0};  // wait this long before answering, whatever the answer
  };
  // Counts one attempt of the address, unless the address or the (address, account) pair is at
  // its limit (then refused and nothing counted).
  Admission admit(const std::string& client_ip, const std::string& account,
                  Clock::time_point now = Clock::now());
  void record_failure(const std::string& client_ip, const std::string& account,
                      Clock::time_point now = Clock::now());
  // The account's owner proved itself from this address: its pair and account failures go.
  void record_success(const std::string& client_ip, const std::string& account);

  // The address key of an IP: the IP itself, or its /64 for IPv6 (one host holds a whole /64).
  static std::string address_key(const std::string& client_ip);
  // Keys remembered in all three maps together (at most 3 * max_keys).
  size_t tracked();

 private:
  // Recent events per key, each deque at most `cap` long; the map at most max_keys long.
  class EventLog {
   public:
    EventLog(size_t max_keys, size_t cap) : cap_(cap), entries_(max_keys) {}
    size_t count(const std::string& key, Clock::duration window, Clock::time_point now);
    void add(const std::string& key, Clock::time_point now);
    void erase(const std::string& key);
    size_t size() const { return entries_.size(); }

   private:
    size_t cap_;
    util::LruMap<std::deque<Clock::time_point>> entries_;  // least recently added to dropped first
  };

  LoginLimits limits_;
  std::mutex mutex_;
  EventLog attempts_by_address_;
  EventLog failures_by_pair_;
  EventLog failures_by_account_;
};

}  // namespace pw::http
