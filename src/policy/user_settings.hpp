// Every per-user setting of an outgoing user (SPEC section 3, seeds 000, 002, 003, 004) in one
// registry: its key, type, default, limits and help text. The CLI (`user set`, `user show`),
// the repository (validation) and the policy checks (typed values) all read this one table.
// Trust: values come from administrators (CLI, later the API); each is validated here.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace pw::policy {

enum class SettingType { kBool, kInt, kChoice, kDomain, kText, kIdentityRules };

struct UserSettingDef {
  std::string_view key;
  SettingType type;
  std::string_view default_value;
  int64_t min = 0;           // kInt
  int64_t max = 0;           // kInt
  std::string_view choices;  // kChoice: "a|b|c"
  std::string_view unit;
  std::string_view help;  // from the seeds
};

std::span<const UserSettingDef> user_setting_defs();
const UserSettingDef* find_user_setting(std::string_view key);

// The canonical form of `value` for `key` ("on"/"yes"/"1" -> "true", lower-cased choices and
// domains), or a one-line error naming the key and what is allowed. An empty value means "back
// to the default" and is returned as "".
Result<std::string> validate_user_setting(std::string_view key, std::string_view value);

// The typed settings the policy checks read. Built from the stored key=value pairs; a stored
// value that no longer validates falls back to its default.
struct UserSettings {
  std::string description;
  std::string identification_method;  // none | auth_user | envelope_sender | header
  std::string identity_headers;       // rules, see policy/identity_method.hpp
  bool automatic_lock = true;
  bool lock_identities = false;
  int64_t lock_spam_threshold = 5;
  int64_t lock_window_minutes = 10;
  int64_t lock_timeout_minutes = 60;
  int64_t max_unlocks_by_timeout = 3;
  std::string lock_template;
  bool block_spam = true;
  std::string quarantine_response;  // rejected | accepted
  bool connection_limits = false;
  int64_t limit_per_minute = 0, limit_per_hour = 0, limit_per_day = 0, limit_per_week = 0,
          limit_per_month = 0;
  int64_t messages_per_hour = 0;       // 0 = no limit
  int64_t max_recipients_per_day = 0;  // 0 = no limit
  int64_t invalid_recipient_limit = 0;
  int64_t max_message_size = 0;     // 0 = the server's limit
  std::string require_from_domain;  // "" = any
  bool valid_sender_required = false;
  std::string dkim_selector;
  bool archive = false;
  bool block_macros = false;
  bool block_pua = false;
  bool reauth_permitted = false;
  std::string policy_mode;          // enforce | monitor
  bool block_viruses = true;        // F-AV, when [clamd] socket is set
  bool check_ip_reputation = true;  // F-IPREP
  bool reject_new_domains = false;  // F-NRD

  static UserSettings from(const std::map<std::string, std::string>& stored);
};

// Every setting with its effective value, for `user show` and the API: stored or default.
struct SettingValue {
  const UserSettingDef* def;
  std::string value;
  bool is_default;
};
std::vector<SettingValue> effective_settings(const std::map<std::string, std::string>& stored);

}  // namespace pw::policy
