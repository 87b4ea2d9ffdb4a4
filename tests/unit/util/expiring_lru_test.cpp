// util::ExpiringLru: values until their expiry, the least recently used dropped when full.
#include "util/expiring_lru.hpp"

#include <gtest/gtest.h>

namespace pw::util {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
const Clock::time_point kT0 = Clock::time_point{} + 1h;

TEST(ExpiringLru, KeepsAValueUntilItExpires) {
  ExpiringLru<int> cache(4);
  cache.store("a", 1, kT0 + 10s);
  Clock::time_point expires;
  const int* hit = cache.find("a", kT0 + 9s, &expires);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(*hit, 1);
  EXPECT_EQ(expires, kT0 + 10s);
  EXPECT_EQ(cache.find("a", kT0 + 10s), nullptr);  // expired: dropped
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.find("missing", kT0), nullptr);
}

TEST(ExpiringLru, DropsTheLeastRecentlyUsedWhenFull) {
  ExpiringLru<int> cache(2);
  cache.store("a", 1, kT0 + 1h);
  cache.store("b", 2, kT0 + 1h);
  ASSERT_NE(cache.find("a", kT0), nullptr);  // a is now the most recent
  cache.store("c", 3, kT0 + 1h);             // b goes
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.find("b", kT0), nullptr);
  EXPECT_NE(cache.find("a", kT0), nullptr);
  EXPECT_NE(cache.find("c", kT0), nullptr);
}

TEST(ExpiringLru, ReplacesErasesAndCapacityZeroKeepsNothing) {
  ExpiringLru<int> cache(2);
  cache.store("a", 1, kT0 + 1h);
  cache.store("a", 5, kT0 + 1h);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(*cache.find("a", kT0), 5);
  cache.erase("a");
  EXPECT_EQ(cache.find("a", kT0), nullptr);
  ExpiringLru<int> off(0);
  off.store("a", 1, kT0 + 1h);
  EXPECT_EQ(off.size(), 0u);
}

}  // namespace
}  // namespace pw::util
