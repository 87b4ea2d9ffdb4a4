// What the policy checks read about users and domains: each user's typed settings and each
// domain's administrator contact and alias domains. An immutable snapshot, swapped in by the
// gateway whenever the database's config generation changes (like the sender directory).
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "policy/user_settings.hpp"
#include "util/result.hpp"

namespace pw::store {
class Database;
}

namespace pw::policy {

struct DomainInfo {
  std::string name;
  std::string admin_contact;
  std::set<std::string> aliases;  // lower-case
  std::optional<int64_t> spam_threshold = std::nullopt;  // F-SPAM; nullopt = [spam] threshold
};

struct Template {
  std::string subject;
  std::string body;
};

class PolicySnapshot {
 public:
  const UserSettings& settings(const std::string& user_name) const;
  const DomainInfo* domain(const std::string& name) const;
  // The domain (or alias) `name` belongs to: the main domain's info, or null.
  const DomainInfo* owner_of(const std::string& name) const;
  Template lock_template(const std::string& name) const;

  std::map<std::string, UserSettings> users;  // by user name (lower-case)
  std::map<std::string, DomainInfo> domains;  // by domain name
  std::map<std::string, std::string> alias_to_domain;
  std::map<std::string, Template> templates;

 private:
  UserSettings defaults_ = UserSettings::from({});
};

Result<std::shared_ptr<const PolicySnapshot>> load_policy_snapshot(store::Database& db);

// The built-in lock template, used until an administrator stores one named "lock".
Template default_lock_template();
// "{user}" style placeholders: user, identity, domain, reason, time, unlock_at, contact.
std::string render_template(const std::string& text, const std::map<std::string, std::string>& values);

}  // namespace pw::policy
