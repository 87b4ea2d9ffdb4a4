// The AUTH failure delay doubles per failure, an IP over the limit is banned until the ban expires,
// and the number of remembered IPs stays bounded. Time is injected, so nothing sleeps.
#include "auth/brute_force_guard.hpp"

#include <gtest/gtest.h>

namespace pw::auth {
namespace {

using namespace std::chrono_literals;
using Clock = BruteForceGuard::Clock;

BruteForceLimits limits() {
  BruteForceLimits l;
  l.failure_delay = 100ms;
  l.max_failure_delay = 1000ms;
  l.max_failures = 5;
  l.failure_window = 600s;
  l.ban_time = 900s;
  l.tracked_ips = 100;
  return l;
}

const Clock::time_point kStart = Clock::time_point{} + 24h;

TEST(BruteForceGuard, DelayDoublesWithEachFailureUpToTheCap) {
  auto l = limits();
  l.max_failures = 100;
  BruteForceGuard guard(l);
  EXPECT_EQ(guard.record_failure("192.0.2.1", kStart), 100ms);
  EXPECT_EQ(guard.record_failure("192.0.2.1", kStart + 1s), 200ms);
  EXPECT_EQ(guard.record_failure("192.0.2.1", kStart + 2s), 400ms);
  EXPECT_EQ(guard.record_failure("192.0.2.1", kStart + 3s), 800ms);
  EXPECT_EQ(guard.record_failure("192.0.2.1", kStart + 4s), 1000ms);
  EXPECT_EQ(guard.record_failure("192.0.2.1", kStart + 5s), 1000ms);
}

TEST(BruteForceGuard, DelayIsPerIp) {
  BruteForceGuard guard(limits());
  guard.record_failure("192.0.2.1", kStart);
  guard.record_failure("192.0.2.1", kStart);
  EXPECT_EQ(guard.record_failure("192.0.2.2", kStart), 100ms);
}

TEST(BruteForceGuard, FailuresOutsideTheWindowNoLongerCount) {
  BruteForceGuard guard(limits());
  guard.record_failure("192.0.2.1", kStart);
  guard.record_failure("192.0.2.1", kStart + 1s);
  guard.record_failure("192.0.2.1", kStart + 2s);
  // The first two have left the 600 s window; the third is still in it.
  EXPECT_EQ(guard.record_failure("192.0.2.1", kStart + 601s), 200ms);
  EXPECT_EQ(guard.record_failure("192.0.2.1", kStart + 1300s), 100ms);
}

TEST(BruteForceGuard, BansAtMaxFailuresWithinTheWindow) {
  BruteForceGuard guard(limits());
  for (int i = 0; i < 4; ++i) guard.record_failure("192.0.2.1", kStart + i * 1s);
  EXPECT_FALSE(guard.is_banned("192.0.2.1", kStart + 4s));
  guard.record_failure("192.0.2.1", kStart + 4s);
  EXPECT_TRUE(guard.is_banned("192.0.2.1", kStart + 4s));
  EXPECT_FALSE(guard.is_banned("192.0.2.2", kStart + 4s));
}

TEST(BruteForceGuard, BanExpiresAfterBanTime) {
  BruteForceGuard guard(limits());
  for (int i = 0; i < 5; ++i) guard.record_failure("192.0.2.1", kStart);
  EXPECT_TRUE(guard.is_banned("192.0.2.1", kStart + 899s));
  EXPECT_FALSE(guard.is_banned("192.0.2.1", kStart + 900s));
}

TEST(BruteForceGuard, SlowFailuresSpreadBeyondTheWindowNeverBan) {
  BruteForceGuard guard(limits());
  for (int i = 0; i < 20; ++i) {
    guard.record_failure("192.0.2.1", kStart + i * 200s);
    EXPECT_FALSE(guard.is_banned("192.0.2.1", kStart + i * 200s)) << i;
  }
}

TEST(BruteForceGuard, FailureAfterBanExpiryWithinWindowBansAgain) {
  auto l = limits();
  l.ban_time = 60s;  // shorter than the window: the old failures still count
  BruteForceGuard guard(l);
  for (int i = 0; i < 5; ++i) guard.record_failure("192.0.2.1", kStart);
  EXPECT_FALSE(guard.is_banned("192.0.2.1", kStart + 61s));
  guard.record_failure("192.0.2.1", kStart + 61s);
  EXPECT_TRUE(guard.is_banned("192.0.2.1", kStart + 62s));
}

TEST(BruteForceGuard, ForgetsTheLeastRecentlyFailedIpAboveTheBound) {
  auto l = limits();
  l.tracked_ips = 3;
  l.max_failures = 1;
  BruteForceGuard guard(l);
  guard.record_failure("192.0.2.1", kStart);
  guard.record_failure("192.0.2.2", kStart);
  guard.record_failure("192.0.2.3", kStart);
  guard.record_failure("192.0.2.1", kStart + 1s);  // .1 is now the most recent
  guard.record_failure("192.0.2.4", kStart + 2s);  // evicts .2
  EXPECT_EQ(guard.tracked(), 3u);
  EXPECT_TRUE(guard.is_banned("192.0.2.1", kStart + 3s));
  EXPECT_FALSE(guard.is_banned("192.0.2.2", kStart + 3s));
  EXPECT_TRUE(guard.is_banned("192.0.2.3", kStart + 3s));
  EXPECT_TRUE(guard.is_banned("192.0.2.4", kStart + 3s));
}

TEST(BruteForceGuard, ForgetsIpsWhoseFailuresAndBanHaveExpired) {
  BruteForceGuard guard(limits());
  guard.record_failure("192.0.2.1", kStart);
  EXPECT_EQ(guard.tracked(), 1u);
  EXPECT_FALSE(guard.is_banned("192.0.2.1", kStart + 601s));
  EXPECT_EQ(guard.tracked(), 0u);
}

TEST(BruteForceGuard, ZeroDelayStaysZero) {
  auto l = limits();
  l.failure_delay = 0ms;
  BruteForceGuard guard(l);
  EXPECT_EQ(guard.record_failure("192.0.2.1", kStart), 0ms);
  EXPECT_EQ(guard.record_failure("192.0.2.1", kStart), 0ms);
}

TEST(BruteForceGuard, HandsNewBansOverOnceAndTakesSavedBansBack) {
  BruteForceGuard guard(limits());
  for (int i = 0; i < 5; ++i) guard.record_failure("192.0.2.1", kStart);
  guard.record_failure("192.0.2.2", kStart);  // not banned
  auto bans = guard.take_new_bans(kStart + 1s);
  ASSERT_EQ(bans.size(), 1u);
  EXPECT_EQ(bans[0].ip, "192.0.2.1");
  EXPECT_EQ(bans[0].until, kStart + 900s);
  EXPECT_TRUE(guard.take_new_bans(kStart + 2s).empty());

  BruteForceGuard restarted(limits());  // the next start, with the saved ban
  restarted.restore_ban("192.0.2.1", kStart + 900s, kStart + 10s);
  restarted.restore_ban("192.0.2.9", kStart + 5s, kStart + 10s);       // already over: ignored
  restarted.restore_ban("192.0.2.8", kStart + 100000s, kStart + 10s);  // capped at ban_time
  EXPECT_TRUE(restarted.is_banned("192.0.2.1", kStart + 899s));
  EXPECT_FALSE(restarted.is_banned("192.0.2.1", kStart + 900s));
  EXPECT_FALSE(restarted.is_banned("192.0.2.9", kStart + 10s));
  EXPECT_TRUE(restarted.is_banned("192.0.2.8", kStart + 909s));
  EXPECT_FALSE(restarted.is_banned("192.0.2.8", kStart + 911s));
  EXPECT_TRUE(restarted.take_new_bans(kStart + 10s).empty());  // nothing new to save
}

}  // namespace
}  // namespace pw::auth
