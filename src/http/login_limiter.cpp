// Panel login limits per client address, per (address, account), and a bounded slow-down per
// account (issue 15, item 8).
// Trust: client_ip is the socket's peer address; account is a canonical name or a placeholder.
#include "http/login_limiter.hpp"

#include <algorithm>

#include "util/ip_address.hpp"

namespace pw::http {
namespace {

constexpr std::chrono::seconds kAttemptWindow{60};
// Account failures kept: enough for the delay to reach any max_failure_delay from 1 ms.
constexpr size_t kAccountFailuresKept = 32;

std::string pair_key(const std::string& address, const std::string& account) {
  return address + "\n" + account;
}

// failure_delay * 2^(failures - 1), capped; 0 without failures.
std::chrono::milliseconds slow_down(const LoginLimits& limits, size_t failures) {
  if (failures == 0) return std::chrono::milliseconds{0};
  auto delay = limits.failure_delay;
  for (size_t i = 1; i < failures && delay < limits.max_failure_delay; ++i) delay *= 2;
  return std::min(delay, limits.max_failure_delay);
}

}  // namespace

size_t LoginLimiter::EventLog::count(const std::string& key, Clock::duration window,
                                     Clock::time_point now) {
  auto* times = entries_.peek(key);
  if (times == nullptr) return 0;
  while (!times->empty() && now - times->front() >= window) times->pop_front();
  if (times->empty()) {
    erase(key);
    return 0;
  }
  return times->size();
}

void LoginLimiter::EventLog::add(const std::string& key, Clock::time_point now) {
  auto& times = entries_.insert_or_touch(key);
  times.push_back(now);
  while (times.size() > std::max<size_t>(cap_, 1)) times.pop_front();
}

void LoginLimiter::EventLog::erase(const std::string& key) { entries_.erase(key); }

LoginLimiter::LoginLimiter(LoginLimits limits)
    : limits_(limits),
      attempts_by_address_(limits.max_keys, limits.attempts_per_minute),
      failures_by_pair_(limits.max_keys, limits.failures_per_address_account),
      failures_by_account_(limits.max_keys, kAccountFailuresKept) {}

std::string LoginLimiter::address_key(const std::string& client_ip) {
  auto address = util::IpAddress::parse(client_ip);
  if (!address) return client_ip;
  if (address->is_v4) return address->str();
  auto network = *address;
  std::fill(network.bytes.begin() + 8, network.bytes.end(), uint8_t{0});
  return network.str() + "/64";
}

LoginLimiter::Admission LoginLimiter::admit(const std::string& client_ip,
                                            const std::string& account, Clock::time_point now) {
  const std::string address = address_key(client_ip);
  const std::string pair = pair_key(address, account);
  std::lock_guard lock(mutex_);
  if (attempts_by_address_.count(address, kAttemptWindow, now) >= limits_.attempts_per_minute ||
      failures_by_pair_.count(pair, limits_.failure_window, now) >=
          limits_.failures_per_address_account)
    return Admission{false, std::chrono::milliseconds{0}};
  attempts_by_address_.add(address, now);
  size_t failures = failures_by_account_.count(account, limits_.failure_window, now);
  return Admission{true, slow_down(limits_, failures)};
}

void LoginLimiter::record_failure(const std::string& client_ip, const std::string& account,
                                  Clock::time_point now) {
  const std::string address = address_key(client_ip);
  std::lock_guard lock(mutex_);
  failures_by_pair_.add(pair_key(address, account), now);
  failures_by_account_.add(account, now);
}

void LoginLimiter::record_success(const std::string& client_ip, const std::string& account) {
  const std::string address = address_key(client_ip);
  std::lock_guard lock(mutex_);
  failures_by_pair_.erase(pair_key(address, account));
  failures_by_account_.erase(account);
}

size_t LoginLimiter::tracked() {
  std::lock_guard lock(mutex_);
  return attempts_by_address_.size() + failures_by_pair_.size() + failures_by_account_.size();
}

}  // namespace pw::http
