// The rules for IP users (issue 15, item 1), in the service layer shared by the CLI and the API:
// a domain admin may not add catch-alls, ranges wider than [policy] domain_admin_widest_prefix_v4
// /v6, or loopback, link-local and unspecified ranges (IPv4-mapped forms included); nobody adds a
// catch-all unless an administrator forces it; a domain admin's overlap error names no range.
#include <gtest/gtest.h>

#include <string>

#include "../store/temp_dir.hpp"
#include "config/config.hpp"
#include "service/user_service.hpp"
#include "store/domain_repository.hpp"
#include "store/node_database.hpp"

namespace pw::service {
namespace {

const Actor kAdmin{Role::kAdmin, "root", ""};
const Actor kDomainAdmin{Role::kDomain, "b-admin", "b.test"};

class IpUserRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = store::open_node_database(dir_.path().string());
    ASSERT_TRUE(db) << db.error().message;
    db_.emplace(std::move(*db));
    store::DomainRepository domains(*db_);
    ASSERT_TRUE(domains.add("a.test"));
    ASSERT_TRUE(domains.add("b.test"));
  }

  Outcome<AddedUser> add(const Actor& actor, const std::string& range, bool force = false,
                         const std::string& owner = "b.test") {
    NewUser request;
    request.kind = mail::SenderKind::kIp;
    request.name = range;
    request.owner = owner;
    request.force = force;
    return add_user(*db_, actor, request, PasswordRules::from(config_),
                    IpRangeRules::from(config_));
  }

  test::TempDir dir_;
  std::optional<store::Database> db_;
  config::Config config_ = config::default_config();
};

TEST_F(IpUserRulesTest, DefaultsAreNamedInTheRegistry) {
  EXPECT_EQ(config_.policy.domain_admin_widest_prefix_v4, 24);
  EXPECT_EQ(config_.policy.domain_admin_widest_prefix_v6, 48);
  EXPECT_EQ(config_.policy.widest_prefix_v4, 8);
  EXPECT_EQ(config_.policy.widest_prefix_v6, 16);
}

TEST_F(IpUserRulesTest, CatchAllsAreRefusedForEveryoneUnforced) {
  for (const char* range : {"0.0.0.0/0", "::/0", "::ffff:0:0/96", "::ffff:0.0.0.0/96", "0.0.0.0/7",
                            "128.0.0.0/1", "::/15", "8000::/1", "::ffff:0:0/103"}) {
    for (const Actor* actor : {&kAdmin, &kDomainAdmin}) {
      auto added = add(*actor, range);
      EXPECT_FALSE(added) << range << " as " << actor->name;
    }
    // A domain admin cannot force.
    EXPECT_FALSE(add(kDomainAdmin, range, true)) << range;
  }
}

TEST_F(IpUserRulesTest, AnAdministratorMayForceACatchAll) {
  auto added = add(kAdmin, "::/0", true);
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_EQ(added->user.name, "::/0");
  auto mapped = add(kAdmin, "::ffff:0:0/96", true, "a.test");
  ASSERT_TRUE(mapped) << mapped.error().message;
  EXPECT_EQ(mapped->user.name, "0.0.0.0/0");
}

TEST_F(IpUserRulesTest, DomainAdminIsBoundToTheWidestPrefixPerFamily) {
  EXPECT_FALSE(add(kDomainAdmin, "198.51.100.0/23"));
  EXPECT_FALSE(add(kDomainAdmin, "2001:db8::/47"));
  EXPECT_FALSE(add(kDomainAdmin, "::ffff:198.51.100.0/119"));  // mapped /23
  EXPECT_FALSE(add(kDomainAdmin, "10.0.0.0/8"));
  auto v4 = add(kDomainAdmin, "198.51.100.0/24");
  EXPECT_TRUE(v4) << v4.error().message;
  auto v6 = add(kDomainAdmin, "2001:db8::/48");
  EXPECT_TRUE(v6) << v6.error().message;
  // An administrator is not bound by the domain admin's limit.
  auto wide = add(kAdmin, "10.0.0.0/8", false, "a.test");
  EXPECT_TRUE(wide) << wide.error().message;
}

TEST_F(IpUserRulesTest, DomainAdminMayNotAddLoopbackOrLinkLocal) {
  for (const char* range :
       {"127.0.0.1", "127.0.0.0/24", "::ffff:127.0.0.1", "::1", "::1/128", "169.254.1.0/24",
        "::ffff:169.254.0.0/112", "fe80::/64", "fe80::1", "febf:ffff::/48", "0.0.0.0/24", "::"}) {
    auto added = add(kDomainAdmin, range);
    EXPECT_FALSE(added) << range;
    if (!added) EXPECT_EQ(added.error().kind, Failure::Kind::kForbidden) << range;
  }
  auto loopback = add(kAdmin, "127.0.0.1");  // the gateway's own host: an administrator's call
  EXPECT_TRUE(loopback) << loopback.error().message;
}

TEST_F(IpUserRulesTest, DomainAdminOverlapErrorNamesNoOtherRange) {
  ASSERT_TRUE(add(kAdmin, "203.0.113.0/24", false, "a.test"));
  auto overlap = add(kDomainAdmin, "203.0.113.128/25");
  ASSERT_FALSE(overlap);
  EXPECT_EQ(overlap.error().kind, Failure::Kind::kConflict);
  EXPECT_EQ(overlap.error().message, "203.0.113.128/25 is taken");
  auto duplicate = add(kDomainAdmin, "203.0.113.0/24");
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().message, "203.0.113.0/24 is taken");
  // An administrator of the whole gateway still hears whose range it is.
  auto as_admin = add(kAdmin, "203.0.113.128/25");
  ASSERT_FALSE(as_admin);
  EXPECT_NE(as_admin.error().message.find("203.0.113.0/24 of domain a.test"), std::string::npos)
      << as_admin.error().message;
}

}  // namespace
}  // namespace pw::service
