// F-SPAM: a domain's own spam threshold (migration 6): stored, cleared back to the default, and
// seen by the policy snapshot the SMTP sessions read.
#include <gtest/gtest.h>

#include "engine_database.hpp"
#include "policy/policy_snapshot.hpp"
#include "store/domain_repository.hpp"

namespace pw::store {
namespace {

class DomainSpamThreshold : public testing::TestWithParam<const char*> {};

TEST_P(DomainSpamThreshold, IsStoredClearedAndLoadedIntoTheSnapshot) {
  test::EngineDatabase where(GetParam());
  Database db = where.open();
  DomainRepository domains(db);
  ASSERT_TRUE(domains.add("example.com"));
  ASSERT_TRUE(domains.add("other.example"));
  EXPECT_FALSE(domains.spam_threshold("example.com").value().has_value());
  ASSERT_TRUE(domains.set_spam_threshold("example.com", 80));
  EXPECT_EQ(domains.spam_threshold("example.com").value(), 80);
  EXPECT_FALSE(domains.set_spam_threshold("nosuch.example", 10));

  auto snapshot = policy::load_policy_snapshot(db).value();
  ASSERT_NE(snapshot->domain("example.com"), nullptr);
  EXPECT_EQ(snapshot->domain("example.com")->spam_threshold, 80);
  EXPECT_FALSE(snapshot->domain("other.example")->spam_threshold.has_value());

  ASSERT_TRUE(domains.set_spam_threshold("example.com", std::nullopt));
  EXPECT_FALSE(domains.spam_threshold("example.com").value().has_value());
  snapshot = policy::load_policy_snapshot(db).value();
  EXPECT_FALSE(snapshot->domain("example.com")->spam_threshold.has_value());
}

INSTANTIATE_TEST_SUITE_P(Engines, DomainSpamThreshold, test::kEngines, test::EngineName());

}  // namespace
}  // namespace pw::store
