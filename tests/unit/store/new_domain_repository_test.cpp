// The NRD feed table (F-NRD): upsert, order, look-up, one config-generation bump per import, and
// the policy snapshot loading only the domains younger than the maximum age.
#include "store/new_domain_repository.hpp"

#include <gtest/gtest.h>

#include "engine_database.hpp"
#include "policy/policy_snapshot.hpp"
#include "store/statement.hpp"
#include "temp_dir.hpp"

namespace pw::store {
namespace {

class NewDomainRepositoryTest : public testing::TestWithParam<const char*> {
 protected:
  test::EngineDatabase where_{GetParam()};
  Database db_ = where_.open();
  NewDomainRepository feed_{db_};
  const int64_t now_ = unix_now();
};

TEST_P(NewDomainRepositoryTest, ImportsUpsertsAndBumpsTheGenerationOnce) {
  auto before = db_.config_generation().value();
  std::vector<NewDomainRecord> first = {{"old.example", now_ - 3 * 86400, now_},
                                        {"new.example", now_ - 7200, now_}};
  ASSERT_EQ(feed_.import(first).value(), 2u);
  EXPECT_EQ(db_.config_generation().value(), before + 1);
  auto listed = feed_.list().value();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].domain, "new.example");  // youngest first
  EXPECT_EQ(listed[1].domain, "old.example");
  std::vector<NewDomainRecord> again = {{"old.example", now_ - 3600, now_ + 1}};
  ASSERT_EQ(feed_.import(again).value(), 1u);
  EXPECT_EQ(db_.config_generation().value(), before + 2);
  auto found = feed_.find("old.example").value();
  ASSERT_TRUE(found);
  EXPECT_EQ(found->registered_at, now_ - 3600);
  EXPECT_EQ(found->imported_at, now_ + 1);
  EXPECT_FALSE(feed_.find("other.example").value());
  EXPECT_EQ(feed_.list().value().size(), 2u);
}

TEST_P(NewDomainRepositoryTest, TheSnapshotLoadsOnlyRecentDomains) {
  std::vector<NewDomainRecord> records = {{"old.example", now_ - 3 * 86400, now_},
                                          {"new.example", now_ - 7200, now_}};
  ASSERT_TRUE(feed_.import(records));
  auto snapshot = policy::load_policy_snapshot(db_, 86400).value();
  EXPECT_EQ(snapshot->new_domain_max_age_s, 86400);
  ASSERT_EQ(snapshot->new_domains.size(), 1u);
  EXPECT_EQ(snapshot->new_domains.begin()->first, "new.example");
  auto found = snapshot->new_domain("a.b.new.example");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->domain, "new.example");
  EXPECT_EQ(found->registered_at, now_ - 7200);
  EXPECT_FALSE(snapshot->new_domain("old.example"));
  EXPECT_FALSE(snapshot->new_domain("example"));
  EXPECT_TRUE(policy::load_policy_snapshot(db_).value()->new_domains.empty());  // NRD off
}

INSTANTIATE_TEST_SUITE_P(Engines, NewDomainRepositoryTest, test::kEngines, test::EngineName());

}  // namespace
}  // namespace pw::store
