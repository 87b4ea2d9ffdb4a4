// Domains: validation, duplicates, removal with and without users, and their two settings.
// Each test runs on SQLite (a fresh file) and on PostgreSQL (a schema of its own), issue 18.
#include "store/domain_repository.hpp"

#include <gtest/gtest.h>

#include "engine_database.hpp"
#include "store/user_repository.hpp"

namespace pw::store {
namespace {

class DomainRepositoryTest : public testing::TestWithParam<const char*> {
 protected:
  test::EngineDatabase where_{GetParam()};
  Database db_ = where_.open();
  DomainRepository domains_{db_};
  UserRepository users_{db_};
};

TEST_P(DomainRepositoryTest, AddsADomainLowerCased) {
  auto added = domains_.add("Example.COM", "Abuse@Example.com", "S1");
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_EQ(added->name, "example.com");
  EXPECT_EQ(added->admin_contact, "abuse@example.com");
  EXPECT_EQ(added->dkim_selector, "s1");
  EXPECT_GT(added->created_at, 0);
  auto found = domains_.find("EXAMPLE.com").value();
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, added->id);
}

TEST_P(DomainRepositoryTest, RefusesADuplicateWhateverItsCase) {
  ASSERT_TRUE(domains_.add("example.com"));
  auto again = domains_.add("EXAMPLE.COM");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message, "domain example.com already exists");
}

TEST_P(DomainRepositoryTest, RefusesInvalidNamesContactsAndSelectors) {
  EXPECT_FALSE(domains_.add("localhost"));
  EXPECT_FALSE(domains_.add("exa mple.com"));
  EXPECT_FALSE(domains_.add("example.com", "not-an-address"));
  EXPECT_FALSE(domains_.add("example.com", "", "bad selector"));
  EXPECT_TRUE(domains_.list().value().empty());
}

TEST_P(DomainRepositoryTest, ListsByNameWithUserCounts) {
  ASSERT_TRUE(domains_.add("zeta.example"));
  ASSERT_TRUE(domains_.add("alpha.example"));
  ASSERT_TRUE(users_.add_ip("192.0.2.0/24", "zeta.example"));
  ASSERT_TRUE(users_.add_ip("192.0.3.0/24", "zeta.example"));
  auto list = domains_.list().value();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name, "alpha.example");
  EXPECT_EQ(list[0].user_count, 0);
  EXPECT_EQ(list[1].name, "zeta.example");
  EXPECT_EQ(list[1].user_count, 2);
}

TEST_P(DomainRepositoryTest, UnknownDomainErrorSaysHowToAddIt) {
  auto missing = domains_.get("nosuch.example");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message,
            "unknown domain nosuch.example; add it first with `postwarden domain add "
            "nosuch.example`");
}

TEST_P(DomainRepositoryTest, RefusesToRemoveADomainWithUsersUnlessForced) {
  ASSERT_TRUE(domains_.add("example.com"));
  ASSERT_TRUE(users_.add_ip("192.0.2.0/24", "example.com"));
  ASSERT_TRUE(users_.add_user("alice@example.com", "$argon2id$x"));
  ASSERT_TRUE(users_.set_setting("alice@example.com", "description", "Alice"));
  auto refused = domains_.remove("example.com", false);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("still has 2 users"), std::string::npos);
  EXPECT_EQ(users_.list().value().size(), 2u);

  auto removed = domains_.remove("example.com", true);
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_EQ(*removed, 2);
  EXPECT_FALSE(domains_.find("example.com").value());
  EXPECT_TRUE(users_.list().value().empty());
}

TEST_P(DomainRepositoryTest, RemovesAnEmptyDomain) {
  ASSERT_TRUE(domains_.add("example.com"));
  EXPECT_EQ(domains_.remove("example.com", false).value(), 0);
  EXPECT_FALSE(domains_.remove("example.com", false));
}

TEST_P(DomainRepositoryTest, SetsAndClearsContactAndSelector) {
  ASSERT_TRUE(domains_.add("example.com"));
  ASSERT_TRUE(domains_.set_admin_contact("example.com", "Postmaster@example.com"));
  ASSERT_TRUE(domains_.set_dkim_selector("example.com", "mail2026"));
  auto domain = domains_.get("example.com").value();
  EXPECT_EQ(domain.admin_contact, "postmaster@example.com");
  EXPECT_EQ(domain.dkim_selector, "mail2026");
  EXPECT_FALSE(domains_.set_admin_contact("example.com", "postmaster"));
  EXPECT_FALSE(domains_.set_admin_contact("nosuch.example", "a@example.com"));
  ASSERT_TRUE(domains_.set_admin_contact("example.com", ""));
  EXPECT_EQ(domains_.get("example.com").value().admin_contact, "");
}

TEST_P(DomainRepositoryTest, EveryChangeBumpsTheConfigGeneration) {
  auto start = db_.config_generation().value();
  ASSERT_TRUE(domains_.add("example.com"));
  auto after_add = db_.config_generation().value();
  EXPECT_GT(after_add, start);
  ASSERT_TRUE(domains_.set_dkim_selector("example.com", "s1"));
  auto after_set = db_.config_generation().value();
  EXPECT_GT(after_set, after_add);
  ASSERT_TRUE(domains_.remove("example.com", false));
  EXPECT_GT(db_.config_generation().value(), after_set);
}

INSTANTIATE_TEST_SUITE_P(Engines, DomainRepositoryTest, test::kEngines, test::EngineName());

}  // namespace
}  // namespace pw::store
