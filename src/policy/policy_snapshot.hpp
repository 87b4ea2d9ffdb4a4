// What the policy checks read about users and domains: each user's typed settings and each
// domain's administrator contact and alias domains. An immutable snapshot, swapped in by the
// gateway whenever the database's config generation changes (like the sender directory).
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "policy/hash_block_list.hpp"
#include "policy/user_settings.hpp"
#include "util/result.hpp"

namespace pw::store {
class Database;
}

namespace pw::policy {

struct DomainInfo {
  std::string name;
  std::string admin_contact;
  std::set<std::string> aliases;                         // lower-case
  std::optional<int64_t> spam_threshold = std::nullopt;  // F-SPAM; nullopt = [spam] threshold
  std::string dkim_selector;  // F-DKIM-SEL: the domain's default selector ("" = none)
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
  // F-NRD: `domain` (lower-case) or its nearest parent of two labels or more that the feed
  // lists as registered within new_domain_max_age_s: mail.newdom.com finds newdom.com.
  struct NewDomain {
    std::string domain;
    int64_t registered_at = 0;
  };
  std::optional<NewDomain> new_domain(std::string_view domain) const;

  std::map<std::string, UserSettings> users;  // by user name (lower-case)
  std::map<std::string, DomainInfo> domains;  // by domain name
  std::map<std::string, std::string> alias_to_domain;
  std::map<std::string, Template> templates;
  // F-PANEL: the abuse contact stored by an administrator (node_settings); "" = the config
  // file's [policy] abuse_contact.
  std::string abuse_contact;
  std::map<std::string, int64_t, std::less<>> new_domains;  // domain -> registered at (recent)
  int64_t new_domain_max_age_s = 0;
  // F-FUZZY: the admin's hash block list (never null).
  std::shared_ptr<const HashBlockList> hash_blocks = std::make_shared<const HashBlockList>();

 private:
  UserSettings defaults_ = UserSettings::from({});
};

// `new_domain_max_age_s` > 0: also the feed domains registered within that many seconds.
Result<std::shared_ptr<const PolicySnapshot>> load_policy_snapshot(
    store::Database& db, int64_t new_domain_max_age_s = 0);

// The built-in lock template, used until an administrator stores one named "lock".
Template default_lock_template();
// "{user}" style placeholders: user, identity, domain, reason, messages, time, unlock_at,
// contact.
std::string render_template(const std::string& text,
                            const std::map<std::string, std::string>& values);

}  // namespace pw::policy
