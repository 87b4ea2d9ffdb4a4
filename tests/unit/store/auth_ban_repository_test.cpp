// AUTH bans kept across restarts (issue 15, item 14): saved with their expiry, the unexpired
// ones read back, a ban only ever extended, expired rows deleted, the table bounded.
#include "store/auth_ban_repository.hpp"

#include <gtest/gtest.h>

#include "engine_database.hpp"
#include "store/statement.hpp"
#include "temp_dir.hpp"

namespace pw::store {
namespace {

class AuthBanRepositoryTest : public testing::TestWithParam<const char*> {
 protected:
  test::EngineDatabase where_{GetParam()};
  Database db_ = where_.open();
  AuthBanRepository bans_{db_};
  const int64_t now_ = 1'800'000'000;
};

TEST_P(AuthBanRepositoryTest, KeepsUnexpiredBansAndDeletesExpiredOnes) {
  ASSERT_TRUE(bans_.save({{"192.0.2.1", now_ + 900}, {"2001:db8::1", now_ + 10}}, now_, 100));
  auto active = bans_.active(now_, 100).value();
  ASSERT_EQ(active.size(), 2u);
  EXPECT_EQ(active[0].ip, "192.0.2.1");
  EXPECT_EQ(active[0].banned_until, now_ + 900);
  EXPECT_EQ(bans_.active(now_ + 10, 100).value().size(), 1u);  // .1 expired for the reader
  // A shorter ban never shortens a saved one; a save deletes expired rows.
  ASSERT_TRUE(bans_.save({{"192.0.2.1", now_ + 20}}, now_ + 11, 100));
  EXPECT_EQ(bans_.active(now_ + 11, 100).value().at(0).banned_until, now_ + 900);
  auto rows = query(db_, "SELECT count(*) FROM auth_bans").value();
  ASSERT_TRUE(next_row(db_, rows.get()).value());
  EXPECT_EQ(column_int(rows.get(), 0), 1);
}

TEST_P(AuthBanRepositoryTest, KeepsAtMostMaxRowsTheLongestBansFirst) {
  std::vector<AuthBan> many;
  for (int i = 0; i < 50; ++i) many.push_back({"192.0.2." + std::to_string(i), now_ + 100 + i});
  ASSERT_TRUE(bans_.save(many, now_, 10));
  auto active = bans_.active(now_, 1000).value();
  ASSERT_EQ(active.size(), 10u);
  EXPECT_EQ(active.front().ip, "192.0.2.49");
  EXPECT_EQ(active.back().ip, "192.0.2.40");
  EXPECT_EQ(bans_.active(now_, 3).value().size(), 3u);
}

INSTANTIATE_TEST_SUITE_P(Engines, AuthBanRepositoryTest, test::kEngines, test::EngineName());

}  // namespace
}  // namespace pw::store
