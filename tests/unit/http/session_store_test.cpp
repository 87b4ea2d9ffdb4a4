// Login sessions end after their idle time and their absolute time; the store is bounded
// (F-PANEL). The login limits are in login_limiter_test.cpp.
#include "http/session_store.hpp"

#include <gtest/gtest.h>

namespace pw::http {
namespace {

using namespace std::chrono_literals;
using Clock = SessionStore::Clock;

TEST(HttpSessionStore, MakesRandomIdsAndCsrfTokens) {
  SessionStore store({30min, 12h, 10});
  auto a = store.create("admin");
  auto b = store.create("admin");
  EXPECT_EQ(a.id.size(), 64u);
  EXPECT_EQ(a.csrf_token.size(), 64u);
  EXPECT_NE(a.id, b.id);
  EXPECT_NE(a.id, a.csrf_token);
  auto found = store.find(a.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->username, "admin");
  EXPECT_EQ(found->csrf_token, a.csrf_token);
  EXPECT_FALSE(store.find("nope"));
}

TEST(HttpSessionStore, EndsAnIdleSessionButUseKeepsItAlive) {
  SessionStore store({30min, 12h, 10});
  auto t0 = Clock::now();
  auto s = store.create("admin", t0);
  EXPECT_TRUE(store.find(s.id, t0 + 29min));
  EXPECT_TRUE(store.find(s.id, t0 + 58min));  // 29 minutes after the last use
  EXPECT_FALSE(store.find(s.id, t0 + 58min + 30min));
  EXPECT_EQ(store.size(), 0u);
}

TEST(HttpSessionStore, EndsASessionAtItsAbsoluteTimeEvenWhenUsed) {
  SessionStore store({30min, 1h, 10});
  auto t0 = Clock::now();
  auto s = store.create("admin", t0);
  for (int i = 1; i < 6; ++i) EXPECT_TRUE(store.find(s.id, t0 + i * 10min));
  EXPECT_FALSE(store.find(s.id, t0 + 60min));
}

TEST(HttpSessionStore, DropsTheOldestLoginWhenFull) {
  SessionStore store({30min, 12h, 2});
  auto first = store.create("a");
  auto second = store.create("b");
  auto third = store.create("c");
  EXPECT_FALSE(store.find(first.id));
  EXPECT_TRUE(store.find(second.id));
  EXPECT_TRUE(store.find(third.id));
}

TEST(HttpSessionStore, RemovesAnAccountsSessionsButTheOneKept) {
  SessionStore store({30min, 12h, 10});
  auto a1 = store.create("a");
  auto a2 = store.create("a");
  auto b = store.create("b");
  store.remove_account("a", a2.id);
  EXPECT_FALSE(store.find(a1.id));
  EXPECT_TRUE(store.find(a2.id));
  EXPECT_TRUE(store.find(b.id));
  store.remove(b.id);
  EXPECT_FALSE(store.find(b.id));
}

}  // namespace
}  // namespace pw::http
