// A change to a user's settings is checked before it is stored: keys from the allow-list, values
// in canonical form, the name (or IP) never changed, reauth_permitted for IP users only, a
// lock_template that exists, and a refused change stores nothing.
#include "service/user_settings_change.hpp"

#include <gtest/gtest.h>

#include "../store/temp_dir.hpp"
#include "store/domain_repository.hpp"
#include "store/statement.hpp"

namespace pw::service {
namespace {

class UserSettingsChangeTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(store::DomainRepository(db_).add("example.com"));
    alice_ = users_.add_user("alice@example.com", "$argon2id$hash").value();
    range_ = users_.add_ip("192.0.2.0/24", "example.com").value();
  }

  test::TempDir dir_;
  store::Database db_ = store::Database::open(dir_.file("postwarden.db")).value();
  store::UserRepository users_{db_};
  store::User alice_, range_;
};

TEST_F(UserSettingsChangeTest, NeverChangesTheNameOrIp) {
  for (std::string key : {"ip", "name", "cidr"}) {
    auto ip = canonical_setting_changes(db_, range_, {{key, "10.0.0.0/8"}});
    ASSERT_FALSE(ip) << key;
    EXPECT_EQ(ip.error().message,
              "the IP of a user cannot be changed; remove the user and add a new one");
    auto name = canonical_setting_changes(db_, alice_, {{key, "bob@example.com"}});
    ASSERT_FALSE(name) << key;
    EXPECT_EQ(name.error().message,
              "the name of a user cannot be changed; remove the user and add a new one");
  }
}

TEST_F(UserSettingsChangeTest, AcceptsOnlyAllowListedKeysAndValues) {
  auto unknown = canonical_setting_changes(db_, alice_, {{"colour", "blue"}});
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("valid settings: description"), std::string::npos);
  EXPECT_FALSE(canonical_setting_changes(db_, alice_, {{"description", "line\nbreak"}}));
  EXPECT_FALSE(canonical_setting_changes(db_, alice_, {{"description", std::string(5000, 'x')}}));
  EXPECT_FALSE(canonical_setting_changes(db_, alice_, {{"reauth_permitted", "true"}}));
  EXPECT_TRUE(canonical_setting_changes(db_, range_, {{"reauth_permitted", "true"}}));
  auto canonical =
      canonical_setting_changes(db_, alice_, {{"block_spam", "yes"}, {"description", ""}});
  ASSERT_TRUE(canonical) << canonical.error().message;
  EXPECT_EQ(*canonical, (SettingChanges{{"block_spam", "true"}, {"description", ""}}));
}

TEST_F(UserSettingsChangeTest, OneBadKeyRefusesTheWholeChange) {
  EXPECT_FALSE(
      canonical_setting_changes(db_, alice_, {{"description", "Alice"}, {"colour", "blue"}}));
}

TEST_F(UserSettingsChangeTest, LockTemplateMustExist) {
  EXPECT_TRUE(canonical_setting_changes(db_, alice_, {{"lock_template", "lock"}}));
  auto missing = canonical_setting_changes(db_, alice_, {{"lock_template", "welcome"}});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("no template named"), std::string::npos);
  ASSERT_TRUE(store::run(db_,
                         "INSERT INTO templates(name, subject, body, updated_at) VALUES "
                         "('welcome', 's', 'b', 1)"));
  EXPECT_TRUE(canonical_setting_changes(db_, alice_, {{"lock_template", "welcome"}}));
}

}  // namespace
}  // namespace pw::service
