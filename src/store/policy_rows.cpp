// The rows of the policy snapshot (see the header).
#include "store/policy_rows.hpp"

#include <functional>

#include "store/statement.hpp"

namespace pw::store {
namespace {

Result<void> each_row(Database& db, std::string_view sql, std::initializer_list<SqlValue> params,
                      const std::function<void(const Row*)>& read) {
  return for_each_row(db, query(db, sql, params), read);
}

Result<void> read_users(Database& db, PolicyRows& rows) {
  std::map<std::string, std::map<std::string, std::string>> users;
  auto r = each_row(db,
                    "SELECT u.name, s.key, s.value FROM users u LEFT JOIN user_settings s ON "
                    "s.user_id = u.id",
                    {}, [&](const Row* s) {
                      auto& settings = users[column_text(s, 0)];
                      if (!column_is_null(s, 1)) settings[column_text(s, 1)] = column_text(s, 2);
                    });
  if (!r) return r;
  for (auto& user : users) rows.users.emplace_back(user.first, std::move(user.second));
  return {};
}

}  // namespace

Result<PolicyRows> read_policy_rows(Database& db, std::optional<int64_t> new_domains_after) {
  PolicyRows rows;
  if (new_domains_after) {
    auto r = each_row(db, "SELECT domain, registered_at FROM new_domains WHERE registered_at > ?1",
                      {*new_domains_after}, [&](const Row* s) {
                        rows.new_domains.emplace_back(column_text(s, 0), column_int(s, 1));
                      });
    if (!r) return tl::unexpected(r.error());
  }
  auto domains = each_row(
      db, "SELECT name, admin_contact, dkim_selector, spam_threshold FROM domains", {},
      [&](const Row* s) {
        PolicyDomainRow d{column_text(s, 0), column_text(s, 1), column_text(s, 2), std::nullopt};
        if (!column_is_null(s, 3)) d.spam_threshold = column_int(s, 3);
        rows.domains.push_back(std::move(d));
      });
  if (!domains) return tl::unexpected(domains.error());
  auto aliases = each_row(
      db, "SELECT d.name, a.alias FROM domain_aliases a JOIN domains d ON d.id = a.domain_id", {},
      [&](const Row* s) { rows.aliases.emplace_back(column_text(s, 0), column_text(s, 1)); });
  if (!aliases) return tl::unexpected(aliases.error());
  if (auto r = read_users(db, rows); !r) return tl::unexpected(r.error());
  auto templates = each_row(db, "SELECT name, subject, body FROM templates", {}, [&](const Row* s) {
    rows.templates[column_text(s, 0)] = {column_text(s, 1), column_text(s, 2)};
  });
  if (!templates) return tl::unexpected(templates.error());
  auto contact = each_row(db, "SELECT value FROM node_settings WHERE key = 'abuse_contact'", {},
                          [&](const Row* s) { rows.abuse_contact = column_text(s, 0); });
  if (!contact) return tl::unexpected(contact.error());
  return rows;
}

}  // namespace pw::store
