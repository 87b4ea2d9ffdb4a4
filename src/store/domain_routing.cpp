// Alias domains and delivery routes in the node database.
// Trust: every value is bound; alias names are validated before they are stored.
#include "store/domain_routing.hpp"

#include "mail/name_syntax.hpp"
#include "store/domain_repository.hpp"
#include "store/statement.hpp"

namespace pw::store {

Result<void> DomainRouting::add_alias(std::string_view domain_name, std::string_view alias) {
  return db_.transaction([&]() -> Result<void> {
    auto domain = DomainRepository(db_).get(domain_name);
    if (!domain) return tl::unexpected(domain.error());
    auto canonical = mail::canonical_domain_name(alias);
    if (!canonical) return tl::unexpected(canonical.error());
    auto existing = DomainRepository(db_).find(*canonical);
    if (!existing) return tl::unexpected(existing.error());
    if (*existing) return fail(*canonical + " is a domain of its own; an alias cannot be one");
    auto taken = query(db_,
                       "SELECT d.name FROM domain_aliases a JOIN domains d ON d.id = a.domain_id "
                       "WHERE a.alias = ?1",
                       {std::string_view(*canonical)});
    if (!taken) return tl::unexpected(taken.error());
    auto row = next_row(db_, taken->get());
    if (!row) return tl::unexpected(row.error());
    if (*row) return fail(*canonical + " is already an alias of " + column_text(taken->get(), 0));
    auto r =
        run(db_, "INSERT INTO domain_aliases (alias, domain_id, created_at) VALUES (?1, ?2, ?3)",
            {std::string_view(*canonical), domain->id, unix_now()});
    if (!r) return tl::unexpected(r.error());
    return {};
  });
}

Result<void> DomainRouting::remove_alias(std::string_view domain_name, std::string_view alias) {
  auto domain = DomainRepository(db_).get(domain_name);
  if (!domain) return tl::unexpected(domain.error());
  auto r = run(db_, "DELETE FROM domain_aliases WHERE alias = lower(?1) AND domain_id = ?2",
               {alias, domain->id});
  if (!r) return tl::unexpected(r.error());
  if (*r == 0) return fail(std::string(alias) + " is not an alias of " + domain->name);
  return {};
}

Result<std::vector<std::string>> DomainRouting::aliases(std::string_view domain_name) {
  auto stmt = query(db_,
                    "SELECT a.alias FROM domain_aliases a JOIN domains d ON d.id = a.domain_id "
                    "WHERE d.name = ?1 ORDER BY a.alias",
                    {domain_name});
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<std::string> out;
  for (;;) {
    auto row = next_row(db_, stmt->get());
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    out.push_back(column_text(stmt->get(), 0));
  }
  return out;
}

Result<void> DomainRouting::set_route(std::string_view domain_name, std::string_view route) {
  auto domain = DomainRepository(db_).get(domain_name);
  if (!domain) return tl::unexpected(domain.error());
  auto r = run(db_, "UPDATE domains SET route = ?2 WHERE id = ?1", {domain->id, route});
  if (!r) return tl::unexpected(r.error());
  return {};
}

Result<std::string> DomainRouting::route(std::string_view domain_name) {
  auto stmt = query(db_, "SELECT route FROM domains WHERE name = ?1", {domain_name});
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = next_row(db_, stmt->get());
  if (!row) return tl::unexpected(row.error());
  if (!*row) return fail("unknown domain " + std::string(domain_name));
  return column_text(stmt->get(), 0);
}

Result<std::map<std::string, std::string>> DomainRouting::routes() {
  auto stmt = query(db_,
                    "SELECT lower(name), route FROM domains WHERE route != '' UNION ALL "
                    "SELECT lower(a.alias), d.route FROM domain_aliases a JOIN domains d "
                    "ON d.id = a.domain_id WHERE d.route != ''");
  if (!stmt) return tl::unexpected(stmt.error());
  std::map<std::string, std::string> out;
  for (;;) {
    auto row = next_row(db_, stmt->get());
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    out.emplace(column_text(stmt->get(), 0), column_text(stmt->get(), 1));
  }
  return out;
}

}  // namespace pw::store
