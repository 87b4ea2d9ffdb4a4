// Per-IP counting of failed AUTH attempts: a doubling delay per failure and a temporary ban.
// Trust: `ip` is the peer address from the socket layer; the map is bounded by tracked_ips.
#include "auth/brute_force_guard.hpp"

#include <algorithm>

namespace pw::auth {
namespace {

using Clock = BruteForceGuard::Clock;

// failure_delay * 2^(failures - 1), capped, without overflowing on long runs of failures.
std::chrono::milliseconds doubling_delay(const BruteForceLimits& limits, size_t failures) {
  auto delay = limits.failure_delay;
  for (size_t i = 1; i < failures && delay < limits.max_failure_delay; ++i) delay *= 2;
  return std::min(delay, limits.max_failure_delay);
}

}  // namespace

BruteForceGuard::BruteForceGuard(BruteForceLimits limits)
    : limits_(limits), entries_(limits.tracked_ips) {}

bool BruteForceGuard::is_banned(const std::string& ip, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  const Entry* entry = entries_.peek(ip);
  if (entry == nullptr) return false;
  if (entry->banned_until > now) return true;
  // Forget an address whose failures have all left the window: nothing about it is left to count.
  bool stale = entry->failures.empty() || entry->failures.back() <= now - limits_.failure_window;
  if (stale) entries_.erase(ip);
  return false;
}

BruteForceGuard::Entry& BruteForceGuard::entry_locked(const std::string& ip) {
  return entries_.insert_or_touch(ip);
}

std::chrono::milliseconds BruteForceGuard::record_failure(const std::string& ip,
                                                          Clock::time_point now) {
  std::lock_guard lock(mutex_);
  Entry& entry = entry_locked(ip);

  auto window_start = now - limits_.failure_window;
  std::erase_if(entry.failures, [&](Clock::time_point t) { return t <= window_start; });
  entry.failures.push_back(now);
  auto kept = static_cast<size_t>(std::max<int64_t>(limits_.max_failures, 1));
  if (entry.failures.size() > kept) {
    entry.failures.erase(entry.failures.begin(),
                         entry.failures.end() - static_cast<std::ptrdiff_t>(kept));
  }
  if (static_cast<int64_t>(entry.failures.size()) >= limits_.max_failures) {
    entry.banned_until = now + limits_.ban_time;
    new_bans_.push_back(ip);
    while (new_bans_.size() > std::max<size_t>(limits_.tracked_ips, 1)) new_bans_.pop_front();
  }
  return doubling_delay(limits_, entry.failures.size());
}

std::vector<BruteForceGuard::Ban> BruteForceGuard::take_new_bans(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  std::vector<Ban> out;
  for (const auto& ip : new_bans_) {
    const Entry* entry = entries_.peek(ip);
    if (entry == nullptr || entry->banned_until <= now) continue;
    if (!out.empty() && out.back().ip == ip) continue;
    out.push_back({ip, entry->banned_until});
  }
  new_bans_.clear();
  return out;
}

void BruteForceGuard::restore_ban(const std::string& ip, Clock::time_point until,
                                  Clock::time_point now) {
  if (until <= now) return;
  std::lock_guard lock(mutex_);
  Entry& entry = entry_locked(ip);
  entry.banned_until = std::max(entry.banned_until, std::min(until, now + limits_.ban_time));
}

size_t BruteForceGuard::tracked() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace pw::auth
