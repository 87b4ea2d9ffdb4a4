// The check of a change to a user's settings before it is stored: every key is one of
// policy/user_settings, every value its canonical form, names are never changed, and a
// lock_template names the built-in "lock" or a stored template (issue 15, item 12).
// Trust: keys and values come from admins (CLI, API) and may hold any byte.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "store/database.hpp"
#include "store/user_repository.hpp"
#include "util/result.hpp"

namespace pw::service {

using SettingChanges = std::vector<std::pair<std::string, std::string>>;

// The changes with canonical values, or the first refusal as a one-line error.
Result<SettingChanges> canonical_setting_changes(store::Database& db, const store::User& user,
                                                 const SettingChanges& changes);

}  // namespace pw::service
