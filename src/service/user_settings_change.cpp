// Checks a change to a user's settings (see the header).
#include "service/user_settings_change.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include "policy/user_settings.hpp"
#include "util/ascii_text.hpp"

namespace pw::service {
namespace {

// Keys that would rename a user: refused, never stored, whatever the allow-list says.
constexpr std::array<std::string_view, 3> kNameKeys = {"ip", "name", "cidr"};
constexpr std::string_view kBuiltInLockTemplate = "lock";

// The canonical value to store for `key`, or why it is refused.
Result<std::string> check_setting(const store::User& user, std::string_view key,
                                  std::string_view value) {
  if (std::find(kNameKeys.begin(), kNameKeys.end(), key) != kNameKeys.end()) {
    if (user.kind == mail::SenderKind::kIp) {
      return fail("the IP of a user cannot be changed; remove the user and add a new one");
    }
    return fail("the name of a user cannot be changed; remove the user and add a new one");
  }
  if (key == "reauth_permitted" && user.kind != mail::SenderKind::kIp && !value.empty())
    return fail("reauth_permitted is a setting of IP users (smarthosts) only");
  return policy::validate_user_setting(key, value);
}

Result<void> check_template_exists(store::Database& db, std::string_view name) {
  if (name == kBuiltInLockTemplate) return {};
  auto exists = store::UserRepository(db).template_exists(name);
  if (!exists) return tl::unexpected(exists.error());
  if (!*exists)
    return fail("lock_template: no template named " + util::quote_for_message(name) +
                " (\"lock\" or one made by `postwarden template set`)");
  return {};
}

}  // namespace

Result<SettingChanges> canonical_setting_changes(store::Database& db, const store::User& user,
                                                 const SettingChanges& changes) {
  SettingChanges out;
  for (const auto& [key, value] : changes) {
    auto valid = check_setting(user, key, value);
    if (!valid) return tl::unexpected(valid.error());
    if (key == "lock_template" && !valid->empty())
      if (auto known = check_template_exists(db, *valid); !known)
        return tl::unexpected(known.error());
    out.emplace_back(key, std::move(*valid));
  }
  return out;
}

}  // namespace pw::service
