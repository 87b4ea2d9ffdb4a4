// The per-user settings registry: canonical forms of valid values, one-line errors that name the
// key, typed settings that fall back to defaults, and the effective list shown by `user show`.
// Trust: the values here play careless or hostile administrators.
#include "policy/user_settings.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace pw::policy {
namespace {

std::string canonical(std::string_view key, std::string_view value) {
  auto valid = validate_user_setting(key, value);
  EXPECT_TRUE(valid) << key << "=" << value << ": " << valid.error().message;
  return valid ? *valid : "<error>";
}

std::string error_of(std::string_view key, std::string_view value) {
  auto valid = validate_user_setting(key, value);
  EXPECT_FALSE(valid) << key << "=" << value << " accepted as " << *valid;
  if (valid) return "";
  const std::string& message = valid.error().message;
  EXPECT_EQ(message.find_first_of("\r\n"), std::string::npos) << message;
  return message;
}

TEST(ValidateUserSetting, BooleansHaveOneCanonicalForm) {
  for (const char* on : {"on", "ON", "yes", "Yes", "1", "true", "TRUE", "enabled"})
    EXPECT_EQ(canonical("automatic_lock", on), "true") << on;
  for (const char* off : {"off", "Off", "no", "NO", "0", "false", "disabled"})
    EXPECT_EQ(canonical("block_spam", off), "false") << off;
  std::string error = error_of("archive", "maybe");
  EXPECT_NE(error.find("archive"), std::string::npos) << error;
  EXPECT_NE(error.find("maybe"), std::string::npos) << error;
}

TEST(ValidateUserSetting, ChoicesAreLowerCasedAndListedWhenWrong) {
  EXPECT_EQ(canonical("policy_mode", "MONITOR"), "monitor");
  EXPECT_EQ(canonical("quarantine_response", "Accepted"), "accepted");
  EXPECT_EQ(canonical("identification_method", "Envelope_Sender"), "envelope_sender");
  std::string error = error_of("policy_mode", "log-only");
  EXPECT_NE(error.find("policy_mode"), std::string::npos) << error;
  EXPECT_NE(error.find("enforce"), std::string::npos) << error;
  EXPECT_NE(error.find("monitor"), std::string::npos) << error;
  // A prefix or a longer word is not a choice.
  error_of("policy_mode", "enf");
  error_of("policy_mode", "enforced");
}

TEST(ValidateUserSetting, IntegersAreBoundedAndCanonical) {
  EXPECT_EQ(canonical("lock_spam_threshold", "1"), "1");
  EXPECT_EQ(canonical("lock_spam_threshold", "10000"), "10000");
  EXPECT_EQ(canonical("lock_spam_threshold", "007"), "7");
  EXPECT_EQ(canonical("messages_per_hour", "0"), "0");
  EXPECT_EQ(canonical("max_message_size", "1073741824"), "1073741824");
  for (const char* bad :
       {"0", "10001", "-1", "5x", "x", " 5", "5 ", "1.5", "+5", "99999999999999999999999"}) {
    std::string error = error_of("lock_spam_threshold", bad);
    EXPECT_NE(error.find("lock_spam_threshold"), std::string::npos) << bad << ": " << error;
    EXPECT_NE(error.find("1 to 10000"), std::string::npos) << bad << ": " << error;
  }
  EXPECT_NE(error_of("max_message_size", "1073741825").find("bytes"), std::string::npos);
}

TEST(ValidateUserSetting, DomainsAreCanonicalised) {
  EXPECT_EQ(canonical("require_from_domain", "Example.COM"), "example.com");
  std::string error = error_of("require_from_domain", "not a domain");
  EXPECT_EQ(error.rfind("require_from_domain", 0), 0u) << error;
  error_of("require_from_domain", "a..b");
}

TEST(ValidateUserSetting, IdentityHeadersAreParsedAndReformatted) {
  EXPECT_EQ(canonical("identity_headers", R"j([ "X-Client-ID" ])j"),
            R"j([{"header":"X-Client-ID"}])j");
  EXPECT_EQ(canonical("identity_headers",
                      R"j([{"remove":true, "regex":"^u=(\\w+)", "header":"X-User"}])j"),
            R"j([{"header":"X-User","regex":"^u=(\\w+)","remove":true}])j");
  EXPECT_EQ(canonical("identity_headers", "[]"), "[]");
  std::string error = error_of("identity_headers", "X-Client-ID");
  EXPECT_EQ(error.rfind("identity_headers", 0), 0u) << error;
  error = error_of("identity_headers", R"j([{"header":"X-A","regex":"no group"}])j");
  EXPECT_EQ(error.rfind("identity_headers", 0), 0u) << error;
}

TEST(ValidateUserSetting, TextIsKeptButBoundedAndPrintable) {
  EXPECT_EQ(canonical("description", "Mail Server of Shop A"), "Mail Server of Shop A");
  EXPECT_EQ(canonical("description", std::string(1024, 'x')), std::string(1024, 'x'));
  EXPECT_NE(error_of("description", std::string(1025, 'x')).find("description"), std::string::npos);
  for (const char* bad : {"a\r\nb", "a\nb", "tab\there", "nul\x01", "del\x7f"}) {
    std::string error = error_of("description", bad);
    EXPECT_NE(error.find("description"), std::string::npos) << error;
    EXPECT_NE(error.find("control"), std::string::npos) << error;
  }
  // Control characters are refused before any type-specific parsing.
  EXPECT_NE(error_of("automatic_lock", "on\r\n").find("control"), std::string::npos);
}

TEST(ValidateUserSetting, EmptyMeansBackToTheDefault) {
  for (const auto& def : user_setting_defs()) EXPECT_EQ(canonical(def.key, ""), "") << def.key;
}

TEST(ValidateUserSetting, UnknownKeyListsEveryValidKey) {
  std::string error = error_of("max_spam", "1");
  EXPECT_NE(error.find("unknown setting"), std::string::npos) << error;
  EXPECT_NE(error.find("max_spam"), std::string::npos) << error;
  for (const auto& def : user_setting_defs())
    EXPECT_NE(error.find(std::string(def.key)), std::string::npos) << def.key;
  // A hostile key is quoted without its control characters.
  error = error_of("x\r\ny", "1");
  EXPECT_EQ(error.find("x\r\ny"), std::string::npos);
  // Keys are case-sensitive.
  error_of("Policy_Mode", "monitor");
}

TEST(UserSettingDefs, EveryDefaultValidatesToItself) {
  std::set<std::string_view> keys;
  for (const auto& def : user_setting_defs()) {
    EXPECT_TRUE(keys.insert(def.key).second) << "duplicate " << def.key;
    EXPECT_EQ(find_user_setting(def.key), &def);
    EXPECT_FALSE(def.help.empty()) << def.key;
    if (def.default_value.empty()) continue;
    EXPECT_EQ(canonical(def.key, def.default_value), def.default_value) << def.key;
  }
  EXPECT_EQ(find_user_setting("nope"), nullptr);
}

TEST(UserSettingsFrom, NothingStoredGivesTheDefaults) {
  UserSettings s = UserSettings::from({});
  EXPECT_EQ(s.identification_method, "auth_user");
  EXPECT_TRUE(s.automatic_lock);
  EXPECT_FALSE(s.lock_identities);
  EXPECT_EQ(s.lock_spam_threshold, 5);
  EXPECT_EQ(s.lock_window_minutes, 10);
  EXPECT_EQ(s.lock_timeout_minutes, 60);
  EXPECT_EQ(s.max_unlocks_by_timeout, 3);
  EXPECT_EQ(s.lock_template, "lock");
  EXPECT_TRUE(s.block_spam);
  EXPECT_EQ(s.quarantine_response, "rejected");
  EXPECT_FALSE(s.connection_limits);
  EXPECT_EQ(s.limit_per_minute, 60);
  EXPECT_EQ(s.limit_per_hour, 1000);
  EXPECT_EQ(s.limit_per_day, 10000);
  EXPECT_EQ(s.limit_per_week, 50000);
  EXPECT_EQ(s.limit_per_month, 200000);
  EXPECT_EQ(s.messages_per_hour, 0);
  EXPECT_EQ(s.max_recipients_per_day, 0);
  EXPECT_EQ(s.invalid_recipient_limit, 0);
  EXPECT_EQ(s.max_message_size, 0);
  EXPECT_EQ(s.require_from_domain, "");
  EXPECT_FALSE(s.valid_sender_required);
  EXPECT_FALSE(s.archive);
  EXPECT_FALSE(s.reauth_permitted);
  EXPECT_EQ(s.policy_mode, "enforce");
}

TEST(UserSettingsFrom, StoredValuesAreReadInCanonicalForm) {
  UserSettings s = UserSettings::from({{"automatic_lock", "off"},
                                       {"lock_spam_threshold", "12"},
                                       {"policy_mode", "MONITOR"},
                                       {"require_from_domain", "Shop.Example"},
                                       {"connection_limits", "yes"},
                                       {"limit_per_minute", "0"},
                                       {"max_message_size", "1000"},
                                       {"reauth_permitted", "1"},
                                       {"description", "the shop"}});
  EXPECT_FALSE(s.automatic_lock);
  EXPECT_EQ(s.lock_spam_threshold, 12);
  EXPECT_EQ(s.policy_mode, "monitor");
  EXPECT_EQ(s.require_from_domain, "shop.example");
  EXPECT_TRUE(s.connection_limits);
  EXPECT_EQ(s.limit_per_minute, 0);
  EXPECT_EQ(s.max_message_size, 1000);
  EXPECT_TRUE(s.reauth_permitted);
  EXPECT_EQ(s.description, "the shop");
}

TEST(UserSettingsFrom, InvalidOrEmptyStoredValuesFallBackToDefaults) {
  UserSettings s = UserSettings::from({{"automatic_lock", "sometimes"},
                                       {"lock_spam_threshold", "0"},
                                       {"lock_timeout_minutes", "many"},
                                       {"policy_mode", "audit"},
                                       {"require_from_domain", "bad domain"},
                                       {"limit_per_hour", ""},
                                       {"identity_headers", "not json"},
                                       {"no_such_key", "1"}});
  EXPECT_TRUE(s.automatic_lock);
  EXPECT_EQ(s.lock_spam_threshold, 5);
  EXPECT_EQ(s.lock_timeout_minutes, 60);
  EXPECT_EQ(s.policy_mode, "enforce");
  EXPECT_EQ(s.require_from_domain, "");
  EXPECT_EQ(s.limit_per_hour, 1000);
  EXPECT_EQ(s.identity_headers, "");
}

TEST(EffectiveSettings, ListsEveryDefinitionInOrderWithItsSource) {
  auto all = effective_settings({{"archive", "on"},
                                 {"policy_mode", "enforce"},
                                 {"lock_spam_threshold", "abc"},
                                 {"description", ""},
                                 {"unknown", "x"}});
  auto defs = user_setting_defs();
  ASSERT_EQ(all.size(), defs.size());
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].def, &defs[i]);
    const auto key = all[i].def->key;
    if (key == "archive") {
      EXPECT_EQ(all[i].value, "true");
      EXPECT_FALSE(all[i].is_default);
    } else if (key == "policy_mode") {  // stored, but equal to the default
      EXPECT_EQ(all[i].value, "enforce");
      EXPECT_TRUE(all[i].is_default);
    } else if (key == "lock_spam_threshold") {  // invalid: the default
      EXPECT_EQ(all[i].value, "5");
      EXPECT_TRUE(all[i].is_default);
    } else {
      EXPECT_EQ(all[i].value, defs[i].default_value) << key;
      EXPECT_TRUE(all[i].is_default) << key;
    }
  }
}

}  // namespace
}  // namespace pw::policy
