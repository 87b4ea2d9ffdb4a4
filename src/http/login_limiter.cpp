// Login rate limit per client IP and per account name (F-PANEL).
#include "http/login_limiter.hpp"

namespace pw::http {

constexpr std::chrono::seconds kWindow{60};

LoginLimiter::Entry& LoginLimiter::entry_locked(const std::string& key, Clock::time_point now) {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    while (entries_.size() >= max_keys_ && !lru_.empty()) {
      entries_.erase(lru_.back());
      lru_.pop_back();
    }
    lru_.push_front(key);
    it = entries_.emplace(key, Entry{{}, lru_.begin()}).first;
  } else {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
  }
  auto& attempts = it->second.attempts;
  while (!attempts.empty() && now - attempts.front() >= kWindow) attempts.pop_front();
  return it->second;
}

bool LoginLimiter::try_attempt(const std::string& ip_key, const std::string& name_key,
                               Clock::time_point now) {
  std::lock_guard lock(mutex_);
  Entry& by_ip = entry_locked("ip:" + ip_key, now);
  Entry& by_name = entry_locked("name:" + name_key, now);
  if (by_ip.attempts.size() >= limit_ || by_name.attempts.size() >= limit_) return false;
  by_ip.attempts.push_back(now);
  by_name.attempts.push_back(now);
  return true;
}

}  // namespace pw::http
