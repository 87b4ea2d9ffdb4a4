// Loads users' settings, domains, aliases and templates for the policy checks.
#include "policy/policy_snapshot.hpp"

#include "mail/name_syntax.hpp"
#include "store/database.hpp"
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
  if (new_domain_max_age_s > 0) {
    snapshot->new_domain_max_age_s = new_domain_max_age_s;
    auto stmt = store::query(db,
                             "SELECT domain, registered_at FROM new_domains WHERE registered_at "
                             "> ?1",
                             {store::unix_now() - new_domain_max_age_s});
    if (!stmt) return tl::unexpected(stmt.error());
    for (;;) {
      auto row = store::next_row(db, stmt->get());
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      snapshot->new_domains.emplace(store::column_text(stmt->get(), 0),
                                    store::column_int(stmt->get(), 1));
    }
  }
  {
    auto stmt = store::query(db, "SELECT name, admin_contact, dkim_selector FROM domains", {});
    if (!stmt) return tl::unexpected(stmt.error());
    for (;;) {
      auto row = store::next_row(db, stmt->get());
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      DomainInfo d;
      d.name = util::ascii_lowercase(store::column_text(stmt->get(), 0));
      d.admin_contact = store::column_text(stmt->get(), 1);
      d.dkim_selector = store::column_text(stmt->get(), 2);
      snapshot->domains.emplace(d.name, std::move(d));
    }
  }
  {  // F-SPAM: domains with a spam threshold of their own
    auto stmt = store::query(
        db, "SELECT name, spam_threshold FROM domains WHERE spam_threshold IS NOT NULL", {});
    if (!stmt) return tl::unexpected(stmt.error());
    for (;;) {
      auto row = store::next_row(db, stmt->get());
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      auto it = snapshot->domains.find(util::ascii_lowercase(store::column_text(stmt->get(), 0)));
      if (it != snapshot->domains.end())
        it->second.spam_threshold = store::column_int(stmt->get(), 1);
    }
  }
  {
    auto stmt = store::query(
        db, "SELECT d.name, a.alias FROM domain_aliases a JOIN domains d ON d.id = a.domain_id",
        {});
    if (!stmt) return tl::unexpected(stmt.error());
    for (;;) {
      auto row = store::next_row(db, stmt->get());
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      std::string domain = util::ascii_lowercase(store::column_text(stmt->get(), 0));
      std::string alias = util::ascii_lowercase(store::column_text(stmt->get(), 1));
      snapshot->domains[domain].aliases.insert(alias);
      snapshot->alias_to_domain[alias] = domain;
    }
  }
  {
    std::map<std::string, std::map<std::string, std::string>> stored;
    auto stmt = store::query(db,
                             "SELECT u.name, s.key, s.value FROM users u LEFT JOIN user_settings "
                             "s ON s.user_id = u.id",
                             {});
    if (!stmt) return tl::unexpected(stmt.error());
    for (;;) {
      auto row = store::next_row(db, stmt->get());
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      auto& m = stored[util::ascii_lowercase(store::column_text(stmt->get(), 0))];
      if (!store::column_is_null(stmt->get(), 1))
        m[store::column_text(stmt->get(), 1)] = store::column_text(stmt->get(), 2);
    }
    for (const auto& [name, values] : stored)
      snapshot->users.emplace(name, UserSettings::from(values));
  }
  {
    auto stmt = store::query(db, "SELECT name, subject, body FROM templates", {});
    if (!stmt) return tl::unexpected(stmt.error());
    for (;;) {
      auto row = store::next_row(db, stmt->get());
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      snapshot->templates[store::column_text(stmt->get(), 0)] = {
          store::column_text(stmt->get(), 1), store::column_text(stmt->get(), 2)};
    }
  }
  {
    auto stmt = store::query(db, "SELECT value FROM node_settings WHERE key = 'abuse_contact'", {});
    if (!stmt) return tl::unexpected(stmt.error());
    auto row = store::next_row(db, stmt->get());
    if (!row) return tl::unexpected(row.error());
    if (*row) snapshot->abuse_contact = store::column_text(stmt->get(), 0);
  }
  {
    auto blocks = load_hash_block_list(db);  // F-FUZZY
    if (!blocks) return tl::unexpected(blocks.error());
    snapshot->hash_blocks = std::make_shared<const HashBlockList>(std::move(*blocks));
  }
  return std::shared_ptr<const PolicySnapshot>(std::move(snapshot));
}

}  // namespace pw::policy
