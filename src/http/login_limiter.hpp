// Login rate limit (F-PANEL): at most N login attempts per key (client IP, account name) within
// a rolling minute; an attempt over the limit is refused with 429 and not counted. Bounded: the
// least recently seen keys are forgotten first. Thread-safe.
// Trust: keys come from the network (IP) and from the request body (name).
#pragma once
#include <chrono>
#include <cstddef>
#include <deque>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

namespace pw::http {

class LoginLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  LoginLimiter(size_t attempts_per_minute, size_t max_keys)
      : limit_(attempts_per_minute), max_keys_(max_keys) {}

  // Counts one attempt for both keys; false (and nothing counted) when either is at its limit.
  bool try_attempt(const std::string& ip_key, const std::string& name_key,
                   Clock::time_point now = Clock::now());

 private:
  struct Entry {
    std::deque<Clock::time_point> attempts;
    std::list<std::string>::iterator lru;
  };
  Entry& entry_locked(const std::string& key, Clock::time_point now);
  size_t limit_;
  size_t max_keys_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // front = most recent
};

}  // namespace pw::http
