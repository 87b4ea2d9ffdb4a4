// Senders: the one-domain rule for IP ranges, known domains for users, one domain user per
// domain, stored settings, and the config generation (settings are checked in service/).
#include "store/user_repository.hpp"

#include <gtest/gtest.h>

#include "engine_database.hpp"
#include "store/domain_repository.hpp"
#include "store/statement.hpp"
#include "temp_dir.hpp"

namespace pw::store {
namespace {

using mail::SenderKind;

class UserRepositoryTest : public testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(domains_.add("example.com"));
    ASSERT_TRUE(domains_.add("example.org"));
  }

  std::string error_of(const Result<User>& result) {
    EXPECT_FALSE(result);
    return result ? std::string() : result.error().message;
  }

  test::EngineDatabase where_{GetParam()};
  Database db_ = where_.open();
  DomainRepository domains_{db_};
  UserRepository users_{db_};
};

TEST_P(UserRepositoryTest, AddsAnIpRangeInCanonicalForm) {
  auto added = users_.add_ip("2001:DB8:0::/32", "Example.com");
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_EQ(added->name, "2001:db8::/32");
  EXPECT_EQ(added->kind, SenderKind::kIp);
  EXPECT_EQ(added->domain, "example.com");
  EXPECT_FALSE(added->has_password);
  EXPECT_EQ(users_.add_ip("192.0.2.7", "example.com").value().name, "192.0.2.7/32");
}

TEST_P(UserRepositoryTest, RefusesABadCidr) {
  EXPECT_NE(error_of(users_.add_ip("192.0.2.1/24", "example.com")).find("did you mean"),
            std::string::npos);
  EXPECT_FALSE(users_.add_ip("10.0.0.0/33", "example.com"));
  EXPECT_FALSE(users_.add_ip("", "example.com"));
}

TEST_P(UserRepositoryTest, RefusesRangeOverlappingAnotherDomain) {
  ASSERT_TRUE(users_.add_ip("192.0.2.0/24", "example.com"));
  auto message = error_of(users_.add_ip("192.0.2.128/25", "example.org"));
  EXPECT_NE(message.find("192.0.2.0/24"), std::string::npos) << message;
  EXPECT_NE(message.find("example.com"), std::string::npos) << message;
  // A wider range that holds the other domain's range is refused too.
  EXPECT_NE(error_of(users_.add_ip("192.0.0.0/16", "example.org")).find("192.0.2.0/24"),
            std::string::npos);
  EXPECT_EQ(users_.list("example.org").value().size(), 0u);
}

TEST_P(UserRepositoryTest, RefusesOverlappingIpv6RangeOfAnotherDomain) {
  ASSERT_TRUE(users_.add_ip("2001:db8::/32", "example.com"));
  EXPECT_FALSE(users_.add_ip("2001:db8:ff::1", "example.org"));
  EXPECT_TRUE(users_.add_ip("2001:db9::/32", "example.org"));
}

TEST_P(UserRepositoryTest, AllowsOverlappingRangesWithinOneDomain) {
  ASSERT_TRUE(users_.add_ip("10.0.0.0/8", "example.com"));
  EXPECT_TRUE(users_.add_ip("10.1.0.0/16", "example.com"));
  EXPECT_TRUE(users_.add_ip("10.1.2.3", "example.com"));
}

TEST_P(UserRepositoryTest, RefusesAnExactDuplicateRange) {
  ASSERT_TRUE(users_.add_ip("192.0.2.0/24", "example.com"));
  EXPECT_NE(error_of(users_.add_ip("192.0.2.0/24", "example.com")).find("already exists"),
            std::string::npos);
  EXPECT_FALSE(users_.add_ip("::ffff:192.0.2.0/120", "example.com"));
  EXPECT_FALSE(users_.add_ip("192.0.2.0/24", "example.org"));
}

TEST_P(UserRepositoryTest, Ipv4AndIpv6RangesOfDifferentDomainsNeverConflict) {
  ASSERT_TRUE(users_.add_ip("::/0", "example.com"));
  EXPECT_TRUE(users_.add_ip("0.0.0.0/0", "example.org"));
}

TEST_P(UserRepositoryTest, RefusesAnIpForAnUnknownDomain) {
  EXPECT_EQ(error_of(users_.add_ip("192.0.2.0/24", "nosuch.example")),
            "unknown domain nosuch.example; add it first with `postwarden domain add "
            "nosuch.example`");
}

TEST_P(UserRepositoryTest, AddsAPasswordUserInItsDomain) {
  auto added = users_.add_user("Alice@Example.COM", "$argon2id$hash");
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_EQ(added->name, "alice@example.com");
  EXPECT_EQ(added->kind, SenderKind::kUser);
  EXPECT_EQ(added->domain, "example.com");
  EXPECT_TRUE(added->has_password);
}

TEST_P(UserRepositoryTest, RefusesAUserOfAnUnknownDomain) {
  EXPECT_EQ(error_of(users_.add_user("bob@nosuch.example", "$argon2id$hash")),
            "unknown domain nosuch.example; add it first with `postwarden domain add "
            "nosuch.example`");
  // A subdomain is a domain of its own.
  EXPECT_FALSE(users_.add_user("bob@mail.example.com", "$argon2id$hash"));
}

TEST_P(UserRepositoryTest, RefusesMalformedAddressesAndDuplicates) {
  for (std::string_view bad : {"alice", "@example.com", "alice@", "al ice@example.com"}) {
    EXPECT_FALSE(users_.add_user(bad, "$argon2id$hash")) << bad;
  }
  ASSERT_TRUE(users_.add_user("alice@example.com", "$argon2id$hash"));
  EXPECT_NE(
      error_of(users_.add_user("ALICE@example.com", "$argon2id$other")).find("already exists"),
      std::string::npos);
  EXPECT_FALSE(users_.add_user("carol@example.com", ""));
}

TEST_P(UserRepositoryTest, AllowsOneDomainUserPerExistingDomain) {
  auto added = users_.add_domain("Example.com", "$argon2id$hash");
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_EQ(added->name, "example.com");
  EXPECT_EQ(added->kind, SenderKind::kDomain);
  EXPECT_FALSE(users_.add_domain("example.com", "$argon2id$other"));
  EXPECT_FALSE(users_.add_domain("nosuch.example", "$argon2id$hash"));
  EXPECT_TRUE(users_.add_domain("example.org", "$argon2id$hash"));
}

TEST_P(UserRepositoryTest, ListsAllOrOneDomain) {
  ASSERT_TRUE(users_.add_ip("192.0.2.0/24", "example.com"));
  ASSERT_TRUE(users_.add_user("alice@example.com", "$argon2id$hash"));
  ASSERT_TRUE(users_.add_domain("example.org", "$argon2id$hash"));
  EXPECT_EQ(users_.list().value().size(), 3u);
  auto org = users_.list("example.org").value();
  ASSERT_EQ(org.size(), 1u);
  EXPECT_EQ(org[0].name, "example.org");
  EXPECT_FALSE(users_.list("nosuch.example"));
}

TEST_P(UserRepositoryTest, FindsUsersByAnySpellingOfTheirName) {
  ASSERT_TRUE(users_.add_ip("192.0.2.7/32", "example.com"));
  ASSERT_TRUE(users_.add_user("alice@example.com", "$argon2id$hash"));
  EXPECT_TRUE(users_.find("192.0.2.7").value());
  EXPECT_TRUE(users_.find("::ffff:192.0.2.7").value());
  EXPECT_TRUE(users_.find("ALICE@EXAMPLE.COM").value());
  EXPECT_FALSE(users_.find("bob@example.com").value());
  EXPECT_EQ(users_.get("10.99.0.0/16").error().message, "unknown user 10.99.0.0/16");
  EXPECT_FALSE(users_.find("10.0.0.1/8")) << "a malformed CIDR is an error, not a miss";
}

TEST_P(UserRepositoryTest, RemovesAUserAndItsSettings) {
  ASSERT_TRUE(users_.add_user("alice@example.com", "$argon2id$hash"));
  ASSERT_TRUE(users_.set_setting("alice@example.com", "description", "Alice"));
  ASSERT_TRUE(users_.remove("alice@example.com"));
  EXPECT_FALSE(users_.find("alice@example.com").value());
  EXPECT_FALSE(users_.remove("alice@example.com"));
  auto left = query(db_, "SELECT COUNT(*) FROM user_settings").value();
  ASSERT_TRUE(next_row(db_, left.get()).value());
  EXPECT_EQ(column_int(left.get(), 0), 0);
}

TEST_P(UserRepositoryTest, RefusesAPasswordForAnIpUser) {
  ASSERT_TRUE(users_.add_ip("192.0.2.0/24", "example.com"));
  EXPECT_FALSE(users_.set_password_hash("192.0.2.0/24", "$argon2id$hash"));
}

TEST_P(UserRepositoryTest, ChangesThePasswordOfAPasswordUser) {
  ASSERT_TRUE(users_.add_user("alice@example.com", "$argon2id$old"));
  ASSERT_TRUE(users_.set_password_hash("alice@example.com", "$argon2id$new"));
  EXPECT_FALSE(users_.set_password_hash("alice@example.com", ""));
  EXPECT_FALSE(users_.set_password_hash("bob@example.com", "$argon2id$new"));
}

TEST_P(UserRepositoryTest, StoresSettingsAndAnEmptyValueRemovesOne) {
  ASSERT_TRUE(users_.add_user("alice@example.com", "$argon2id$hash"));
  ASSERT_TRUE(users_.set_setting("alice@example.com", "description", "Alice in accounts"));
  EXPECT_EQ(users_.get("alice@example.com").value().settings.at("description"),
            "Alice in accounts");
  ASSERT_TRUE(users_.set_setting("alice@example.com", "description", ""));
  EXPECT_TRUE(users_.get("alice@example.com").value().settings.empty());
  EXPECT_FALSE(users_.set_setting("bob@example.com", "description", "Bob"));
}

TEST_P(UserRepositoryTest, KnowsStoredTemplates) {
  EXPECT_FALSE(users_.template_exists("welcome").value());
  ASSERT_TRUE(run(
      db_,
      "INSERT INTO templates(name, subject, body, updated_at) VALUES ('welcome', 's', 'b', 1)"));
  EXPECT_TRUE(users_.template_exists("welcome").value());
}

TEST_P(UserRepositoryTest, ConfigGenerationIncrementsOnUserAdd) {
  auto before = db_.config_generation().value();
  ASSERT_TRUE(users_.add_ip("192.0.2.0/24", "example.com"));
  auto after_ip = db_.config_generation().value();
  EXPECT_GT(after_ip, before);
  ASSERT_TRUE(users_.add_user("alice@example.com", "$argon2id$hash"));
  auto after_user = db_.config_generation().value();
  EXPECT_GT(after_user, after_ip);
  ASSERT_TRUE(users_.set_setting("alice@example.com", "description", "Alice"));
  auto after_setting = db_.config_generation().value();
  EXPECT_GT(after_setting, after_user);
  ASSERT_TRUE(users_.remove("alice@example.com"));
  EXPECT_GT(db_.config_generation().value(), after_setting);
}

TEST_P(UserRepositoryTest, RefusedChangesLeaveTheGenerationAlone) {
  ASSERT_TRUE(users_.add_ip("192.0.2.0/24", "example.com"));
  auto before = db_.config_generation().value();
  EXPECT_FALSE(users_.add_ip("192.0.2.0/25", "example.org"));
  EXPECT_FALSE(users_.add_user("bob@nosuch.example", "$argon2id$hash"));
  EXPECT_EQ(db_.config_generation().value(), before);
}

INSTANTIATE_TEST_SUITE_P(Engines, UserRepositoryTest, test::kEngines, test::EngineName());

}  // namespace
}  // namespace pw::store
