// Loads users' settings, domains, aliases and templates for the policy checks.
#include "policy/policy_snapshot.hpp"

#include "mail/name_syntax.hpp"
#include "store/database.hpp"
#include "store/policy_rows.hpp"
#include "store/statement.hpp"
#include "util/ascii_text.hpp"

namespace pw::policy {

const UserSettings& PolicySnapshot::settings(const std::string& user_name) const {
  auto it = users.find(util::ascii_lowercase(user_name));
  return it == users.end() ? defaults_ : it->second;
}

const DomainInfo* PolicySnapshot::domain(const std::string& name) const {
  auto it = domains.find(util::ascii_lowercase(name));
  return it == domains.end() ? nullptr : &it->second;
}

const DomainInfo* PolicySnapshot::owner_of(const std::string& name) const {
  std::string lower = util::ascii_lowercase(name);
  if (auto* d = domain(lower)) return d;
  auto it = alias_to_domain.find(lower);
  return it == alias_to_domain.end() ? nullptr : domain(it->second);
}

Template PolicySnapshot::lock_template(const std::string& name) const {
  auto it = templates.find(name);
  return it == templates.end() ? default_lock_template() : it->second;
}

std::optional<PolicySnapshot::NewDomain> PolicySnapshot::new_domain(std::string_view domain) const {
  while (!domain.empty() && domain.find('.') != std::string_view::npos) {
    if (auto it = new_domains.find(domain); it != new_domains.end())
      return NewDomain{it->first, it->second};
    domain.remove_prefix(domain.find('.') + 1);
  }
  return std::nullopt;
}

Template default_lock_template() {
  return {"Your outgoing mail is locked: {user}",
          "Hello,\n\n"
          "Sending mail as {user} (identity: {identity}) through {domain}'s outgoing mail\n"
          "service was locked at {time}.\n\n"
          "Reason: {reason}\n\n"
          "The messages that caused it (queue ids; held ones are in quarantine):\n"
          "{messages}\n"
          "{unlock_at}\n\n"
          "If you did not send these messages, your account or computer may be compromised:\n"
          "change your password and check your devices. For help, write to {contact}.\n"};
}

std::string render_template(const std::string& text,
                            const std::map<std::string, std::string>& values) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '{') {
      auto close = text.find('}', i);
      if (close != std::string::npos && close - i <= 32) {
        auto it = values.find(text.substr(i + 1, close - i - 1));
        if (it != values.end()) {
          out += it->second;
          i = close + 1;
          continue;
        }
      }
    }
    out += text[i++];
  }
  return out;
}

Result<std::shared_ptr<const PolicySnapshot>> load_policy_snapshot(store::Database& db,
                                                                   int64_t new_domain_max_age_s) {
  auto snapshot = std::make_shared<PolicySnapshot>();
  std::optional<int64_t> new_domains_after;
  if (new_domain_max_age_s > 0) {
    snapshot->new_domain_max_age_s = new_domain_max_age_s;
    new_domains_after = store::unix_now() - new_domain_max_age_s;
  }
  auto rows = store::read_policy_rows(db, new_domains_after);
  if (!rows) return tl::unexpected(rows.error());
  for (const auto& [domain, registered_at] : rows->new_domains)
    snapshot->new_domains.emplace(domain, registered_at);
  for (const auto& row : rows->domains) {
    DomainInfo d;
    d.name = util::ascii_lowercase(row.name);
    d.admin_contact = row.admin_contact;
    d.dkim_selector = row.dkim_selector;
    d.spam_threshold = row.spam_threshold;  // F-SPAM: a threshold of the domain's own
    snapshot->domains.emplace(d.name, std::move(d));
  }
  for (const auto& [name, alias_text] : rows->aliases) {
    std::string domain = util::ascii_lowercase(name);
    std::string alias = util::ascii_lowercase(alias_text);
    snapshot->domains[domain].aliases.insert(alias);
    snapshot->alias_to_domain[alias] = domain;
  }
  std::map<std::string, std::map<std::string, std::string>> stored;
  for (const auto& [name, values] : rows->users) {
    auto& m = stored[util::ascii_lowercase(name)];
    for (const auto& [key, value] : values) m[key] = value;
  }
  for (const auto& [name, values] : stored)
    snapshot->users.emplace(name, UserSettings::from(values));
  for (const auto& [name, t] : rows->templates) snapshot->templates[name] = {t.subject, t.body};
  snapshot->abuse_contact = rows->abuse_contact;
  {
    auto blocks = load_hash_block_list(db);  // F-FUZZY
    if (!blocks) return tl::unexpected(blocks.error());
    snapshot->hash_blocks = std::make_shared<const HashBlockList>(std::move(*blocks));
  }
  return std::shared_ptr<const PolicySnapshot>(std::move(snapshot));
}

}  // namespace pw::policy
