// Panel login limits (issue 15, item 8): per client address, per (address, account), and an
// account slowed down by its failures but never locked for other addresses.
#include "http/login_limiter.hpp"

#include <gtest/gtest.h>

namespace pw::http {
namespace {

using namespace std::chrono_literals;
using Clock = LoginLimiter::Clock;

LoginLimits limits() {
  LoginLimits l;
  l.attempts_per_minute = 10;
  l.failures_per_address_account = 5;
  l.failure_window = 900s;
  l.failure_delay = 250ms;
  l.max_failure_delay = 4000ms;
  l.max_keys = 100;
  return l;
}

// An attacker's loop: attempts until refused, each a failure; returns how many were admitted.
int fail_until_refused(LoginLimiter& limiter, const std::string& ip, const std::string& account,
                       int tries, Clock::time_point now) {
  int admitted = 0;
  for (int i = 0; i < tries; ++i) {
    if (!limiter.admit(ip, account, now).allowed) continue;
    ++admitted;
    limiter.record_failure(ip, account, now);
  }
  return admitted;
}

TEST(HttpLoginLimiter, RefusesTheEleventhAttemptFromOneAddressWithinAMinute) {
  LoginLimiter limiter(limits());
  auto t0 = Clock::now();
  for (int i = 0; i < 10; ++i)
    EXPECT_TRUE(limiter.admit("127.0.0.1", "user" + std::to_string(i), t0 + 1s * i).allowed);
  EXPECT_FALSE(limiter.admit("127.0.0.1", "other", t0 + 10s).allowed);
  EXPECT_TRUE(limiter.admit("127.0.0.9", "other", t0 + 10s).allowed);
  EXPECT_TRUE(limiter.admit("127.0.0.1", "other", t0 + 61s).allowed);  // a minute later
}

TEST(HttpLoginLimiter, ThirtyFailuresFromOneAddressDoNotLockTheAccountForAnother) {
  LoginLimiter limiter(limits());
  auto t0 = Clock::now();
  EXPECT_EQ(fail_until_refused(limiter, "127.0.0.2", "admin", 30, t0), 5);
  EXPECT_FALSE(limiter.admit("127.0.0.2", "admin", t0 + 1s).allowed);
  auto other = limiter.admit("127.0.0.3", "admin", t0 + 1s);
  EXPECT_TRUE(other.allowed);
  EXPECT_EQ(other.delay, 4000ms);  // 250 ms doubled four times: slowed, not locked
  // The pair stays refused for the window (a minute later the address has attempts again).
  EXPECT_FALSE(limiter.admit("127.0.0.2", "admin", t0 + 120s).allowed);
  EXPECT_TRUE(limiter.admit("127.0.0.2", "admin", t0 + 901s).allowed);
}

TEST(HttpLoginLimiter, ManyAddressesSlowTheAccountDownWithinTheBound) {
  LoginLimiter limiter(limits());
  auto t0 = Clock::now();
  EXPECT_EQ(limiter.admit("10.0.0.1", "admin", t0).delay, 0ms);
  std::vector<std::chrono::milliseconds> delays;
  for (int i = 0; i < 100; ++i) {
    std::string ip = "10.0.1." + std::to_string(i);
    auto admission = limiter.admit(ip, "admin", t0);
    ASSERT_TRUE(admission.allowed);
    delays.push_back(admission.delay);
    limiter.record_failure(ip, "admin", t0);
  }
  EXPECT_EQ(delays[0], 0ms);
  EXPECT_EQ(delays[1], 250ms);
  EXPECT_EQ(delays[2], 500ms);
  EXPECT_EQ(delays[3], 1000ms);
  EXPECT_EQ(delays[99], 4000ms);
  // Another account is not slowed; the slow-down ends with the window or the owner's success.
  EXPECT_EQ(limiter.admit("10.0.0.2", "ops", t0).delay, 0ms);
  EXPECT_EQ(limiter.admit("10.0.0.3", "admin", t0 + 901s).delay, 0ms);
  limiter.record_failure("10.0.0.3", "admin", t0 + 902s);
  limiter.record_success("10.0.0.4", "admin");
  EXPECT_EQ(limiter.admit("10.0.0.5", "admin", t0 + 903s).delay, 0ms);
}

TEST(HttpLoginLimiter, AnIpv6Slash64CountsAsOneAddress) {
  LoginLimiter limiter(limits());
  auto t0 = Clock::now();
  for (int i = 0; i < 10; ++i)
    EXPECT_TRUE(limiter.admit("2001:db8:1:2::" + std::to_string(i + 1), "a", t0).allowed);
  EXPECT_FALSE(limiter.admit("2001:db8:1:2:ffff::1", "a", t0).allowed);
  EXPECT_TRUE(limiter.admit("2001:db8:1:3::1", "a", t0).allowed);
  EXPECT_EQ(LoginLimiter::address_key("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  EXPECT_EQ(LoginLimiter::address_key("::ffff:192.0.2.1"), "192.0.2.1");
}

TEST(HttpLoginLimiter, RemembersAtMostMaxKeys) {
  auto l = limits();
  l.max_keys = 3;
  LoginLimiter limiter(l);
  auto t0 = Clock::now();
  for (int i = 0; i < 1000; ++i)
    fail_until_refused(limiter, "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250),
                       "user" + std::to_string(i), 1, t0);
  EXPECT_LE(limiter.tracked(), 9u);
  // The oldest keys were forgotten, the newest are remembered: bounded without losing the last.
  EXPECT_EQ(limiter.admit("10.1.3.249", "someone", t0).delay, 0ms);
  EXPECT_EQ(limiter.admit("10.1.3.248", "user999", t0).delay, 250ms);
}

}  // namespace
}  // namespace pw::http
