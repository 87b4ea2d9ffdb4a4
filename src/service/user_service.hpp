// The outgoing users of the domains (F-AUTH-IP, F-AUTH-USER, F-AUTH-DOMAIN) and their settings,
// locks and counters, for the CLI and the REST API, with every check in one place: names, the
// domain rule (a domain admin sees and changes only its own domain's users), settings (all or
// none, and only those of the user's kind), passwords (strength, [auth] min length; generated
// ones returned once, never stored in clear).
// Trust: names, settings and passwords come from the CLI or the API; each is validated here or
// by the store and policy/user_settings.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "auth/password.hpp"
#include "config/config.hpp"
#include "mail/sender.hpp"
#include "policy/lock_book.hpp"
#include "policy/user_settings.hpp"
#include "service/actor.hpp"
#include "service/ip_range_rules.hpp"
#include "service/outcome.hpp"
#include "store/database.hpp"
#include "store/user_repository.hpp"

namespace pw::service {

// Length of a generated password (unless auth.password_min_length asks for more): with 55
// symbols, 20 characters carry about 115 bits, beyond any online or offline guessing.
inline constexpr size_t kGeneratedPasswordLength = 20;

struct PasswordRules {
  size_t min_length = 0;
  auth::PasswordHashCost cost;
  static PasswordRules from(const config::Config& config);
};

// Where a new password comes from: called only once every other check has passed (the CLI reads
// stdin then). Absent: one is generated.
using PasswordSource = std::function<Outcome<std::string>()>;

// The kinds of user a setting applies to (reauth_permitted: IP users only).
std::vector<mail::SenderKind> setting_kinds(std::string_view key);

struct NewUser {
  mail::SenderKind kind = mail::SenderKind::kIp;
  std::string name;   // CIDR, e-mail address or domain name
  std::string owner;  // IP users: the domain the range belongs to
  PasswordSource password;
  std::vector<std::pair<std::string, std::string>> settings;
  bool force = false;  // IP users: an administrator adds a catch-all range anyway (audited)
};
struct AddedUser {
  store::User user;
  std::string generated_password;  // "" unless generated
};
// All or nothing: a refused setting or password adds nothing.
// IP users pass check_ip_range; a domain admin hears only that a range is taken, not whose.
Outcome<AddedUser> add_user(store::Database& db, const Actor& actor, const NewUser& request,
                            const PasswordRules& rules, const IpRangeRules& ranges);

struct UserFilter {
  std::string domain;  // "" = every domain the actor may see
  std::optional<mail::SenderKind> kind;
  std::string query;  // substring of the name, case-insensitive
};
struct UserListItem {
  store::User user;
  bool locked = false;
};
Outcome<std::vector<UserListItem>> list_users(store::Database& db, const Actor& actor,
                                              const UserFilter& filter);

struct UserDetail {
  store::User user;                       // with its stored settings
  std::optional<policy::LockState> lock;  // the row, even when lifted
  bool locked = false;                    // a lock in force now
  std::map<std::string, int64_t> counters_1h;
  std::map<std::string, int64_t> counters_24h;
};
Outcome<store::User> get_user(store::Database& db, const Actor& actor, const std::string& name);
Outcome<UserDetail> user_detail(store::Database& db, const Actor& actor, const std::string& name);

// Settings ("" = back to the default, all or none) and/or a new password (user/domain kinds).
Outcome<store::User> change_user(store::Database& db, const Actor& actor, const std::string& name,
                                 const std::vector<std::pair<std::string, std::string>>& settings,
                                 const PasswordSource& password, const PasswordRules& rules);
Outcome<store::User> remove_user(store::Database& db, const Actor& actor, const std::string& name);
Outcome<store::User> lock_user(store::Database& db, const Actor& actor, const std::string& name,
                               const std::string& reason);
Outcome<store::User> unlock_user(store::Database& db, const Actor& actor, const std::string& name,
                                 bool reset_unlocks);
Outcome<store::User> reset_user_counters(store::Database& db, const Actor& actor,
                                         const std::string& name);

// Is this lock in force at `now` (a lock whose time is up is lifted at the next message)?
bool lock_in_force(const std::optional<policy::LockState>& lock, int64_t now);

}  // namespace pw::service
