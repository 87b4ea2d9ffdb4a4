// ConnectionLimiter: the total, the per-IP count and the share of the total kept for known
// clients (issue 15, item 7).
#include "net/connection_limiter.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pw::net {
namespace {

using Refusal = ConnectionLimiter::Refusal;

TEST(ConnectionLimiterTest, UnknownClientsStopAtTheirShareAndKnownOnesGoOnToTheTotal) {
  auto limiter = std::make_shared<ConnectionLimiter>(10, 100, 4);
  std::vector<ConnectionLimiter::Slot> slots(10);
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(limiter->try_acquire("192.0.2." + std::to_string(i), slots[i], false),
              Refusal::kNone);
  ConnectionLimiter::Slot refused;
  EXPECT_EQ(limiter->try_acquire("192.0.2.99", refused, false), Refusal::kUnknownShare);
  EXPECT_EQ(limiter->count("192.0.2.99"), 0);  // a refusal leaves no entry behind
  for (int i = 6; i < 10; ++i)
    EXPECT_EQ(limiter->try_acquire("198.51.100.1", slots[i], true), Refusal::kNone);
  EXPECT_EQ(limiter->try_acquire("198.51.100.2", refused, true), Refusal::kTotal);
  EXPECT_EQ(limiter->total(), 10);
  EXPECT_EQ(limiter->unknown(), 6);
  slots[0] = ConnectionLimiter::Slot();  // an unknown place is freed: an unknown client gets it
  EXPECT_EQ(limiter->unknown(), 5);
  EXPECT_EQ(limiter->try_acquire("192.0.2.99", slots[0], false), Refusal::kNone);
}

TEST(ConnectionLimiterTest, AKnownSlotLeavesTheUnknownShareWhenMarked) {
  auto limiter = std::make_shared<ConnectionLimiter>(4, 100, 2);
  ConnectionLimiter::Slot a, b, c;
  ASSERT_EQ(limiter->try_acquire("192.0.2.1", a, false), Refusal::kNone);
  ASSERT_EQ(limiter->try_acquire("192.0.2.2", b, false), Refusal::kNone);
  EXPECT_EQ(limiter->try_acquire("192.0.2.3", c, false), Refusal::kUnknownShare);
  a.mark_known();  // e.g. after AUTH
  a.mark_known();  // twice counts once
  EXPECT_EQ(limiter->unknown(), 1);
  EXPECT_EQ(limiter->try_acquire("192.0.2.3", c, false), Refusal::kNone);
  a = ConnectionLimiter::Slot();
  EXPECT_EQ(limiter->total(), 2);
  EXPECT_EQ(limiter->unknown(), 2);
}

TEST(ConnectionLimiterTest, PerIpComesBeforeTheShareAndAReserveAboveTheTotalKeepsNothing) {
  auto limiter = std::make_shared<ConnectionLimiter>(3, 1, 5);  // everything reserved
  ConnectionLimiter::Slot a, b;
  EXPECT_EQ(limiter->try_acquire("192.0.2.1", a, false), Refusal::kUnknownShare);
  ASSERT_EQ(limiter->try_acquire("192.0.2.1", a, true), Refusal::kNone);
  EXPECT_EQ(limiter->try_acquire("192.0.2.1", b, true), Refusal::kPerIp);
  EXPECT_EQ(limiter->try_acquire("192.0.2.1", b, false), Refusal::kPerIp);
  auto open = std::make_shared<ConnectionLimiter>(3, 10);  // no reserve: as before item 7
  for (auto* slot : {&a, &b})
    EXPECT_EQ(open->try_acquire("192.0.2.1", *slot, false), Refusal::kNone);
}

}  // namespace
}  // namespace pw::net
