// Domains in the node database.
// Trust: admin input, validated by auth/name_syntax before any statement sees it.
#include "store/domain_repository.hpp"

#include "mail/name_syntax.hpp"
#include "store/statement.hpp"

namespace pw::store {
namespace {

constexpr std::string_view kSelectDomain =
    "SELECT d.id, d.name, d.admin_contact, d.dkim_selector, d.created_at, "
    "(SELECT COUNT(*) FROM users u WHERE u.domain_id = d.id) FROM domains d ";

Domain read_domain(const Row* stmt) {
  return Domain{column_int(stmt, 0),  column_text(stmt, 1), column_text(stmt, 2),
                column_text(stmt, 3), column_int(stmt, 4),  column_int(stmt, 5)};
}

Result<std::string> canonical_contact(std::string_view text) {
  if (text.empty()) return std::string();
  auto contact = mail::canonical_email_address(text);
  if (!contact) return fail("admin contact: " + contact.error().message);
  return contact;
}

}  // namespace

Result<Domain> DomainRepository::add(std::string_view name, std::string_view admin_contact,
                                     std::string_view dkim_selector) {
  auto canonical = mail::canonical_domain_name(name);
  if (!canonical) return tl::unexpected(canonical.error());
  auto contact = canonical_contact(admin_contact);
  if (!contact) return tl::unexpected(contact.error());
  auto selector = mail::canonical_dkim_selector(dkim_selector);
  if (!selector) return tl::unexpected(selector.error());
  return db_.transaction([&]() -> Result<Domain> {
    auto existing = find(*canonical);
    if (!existing) return tl::unexpected(existing.error());
    if (*existing) return fail("domain " + *canonical + " already exists");
    // A name is a domain or an alias, never both (issue 15, item 2): else the domain's admin
    // would see the mail of the domain the alias belongs to.
    auto alias_of = query(db_,
                          "SELECT d.name FROM domain_aliases a JOIN domains d ON d.id = "
                          "a.domain_id WHERE a.alias = ?1 COLLATE NOCASE",
                          {std::string_view(*canonical)});
    if (!alias_of) return tl::unexpected(alias_of.error());
    auto row = next_row(db_, alias_of->get());
    if (!row) return tl::unexpected(row.error());
    if (*row)
      return fail(*canonical + " is an alias of " + column_text(alias_of->get(), 0) +
                  "; a domain cannot be one (remove the alias first)");
    auto inserted = run(db_,
                        "INSERT INTO domains(name, admin_contact, dkim_selector, created_at) "
                        "VALUES (?1, ?2, ?3, ?4)",
                        {*canonical, *contact, *selector, unix_now()});
    if (!inserted) return tl::unexpected(inserted.error());
    return get(*canonical);
  });
}

Result<std::vector<Domain>> DomainRepository::list() {
  auto stmt = query(db_, std::string(kSelectDomain) + "ORDER BY d.name");
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<Domain> domains;
  while (true) {
    auto row = next_row(db_, stmt->get());
    if (!row) return tl::unexpected(row.error());
    if (!*row) return domains;
    domains.push_back(read_domain(stmt->get()));
  }
}

Result<std::optional<Domain>> DomainRepository::find(std::string_view name) {
  auto canonical = mail::canonical_domain_name(name);
  if (!canonical) return tl::unexpected(canonical.error());
  auto stmt = query(db_, std::string(kSelectDomain) + "WHERE d.name = ?1", {*canonical});
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = next_row(db_, stmt->get());
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<Domain>();
  return read_domain(stmt->get());
}

Result<Domain> DomainRepository::get(std::string_view name) {
  auto found = find(name);
  if (!found) return tl::unexpected(found.error());
  if (!*found) {
    auto canonical = mail::canonical_domain_name(name);
    return fail("unknown domain " + *canonical + "; add it first with `postwarden domain add " +
                *canonical + "`");
  }
  return **found;
}

Result<int64_t> DomainRepository::remove(std::string_view name, bool force) {
  return db_.transaction([&]() -> Result<int64_t> {
    auto domain = get(name);
    if (!domain) return tl::unexpected(domain.error());
    if (domain->user_count > 0 && !force) {
      return fail("domain " + domain->name + " still has " + std::to_string(domain->user_count) +
                  (domain->user_count == 1 ? " user" : " users") +
                  "; remove them first, or use --force to remove them with it");
    }
    // Its users and their settings go with it (ON DELETE CASCADE).
    auto removed = run(db_, "DELETE FROM domains WHERE id = ?1", {domain->id});
    if (!removed) return tl::unexpected(removed.error());
    return domain->user_count;
  });
}

Result<void> DomainRepository::set_admin_contact(std::string_view name,
                                                 std::string_view admin_contact) {
  auto contact = canonical_contact(admin_contact);
  if (!contact) return tl::unexpected(contact.error());
  auto domain = get(name);
  if (!domain) return tl::unexpected(domain.error());
  auto updated =
      run(db_, "UPDATE domains SET admin_contact = ?1 WHERE id = ?2", {*contact, domain->id});
  if (!updated) return tl::unexpected(updated.error());
  return {};
}

Result<void> DomainRepository::set_dkim_selector(std::string_view name,
                                                 std::string_view dkim_selector) {
  auto selector = mail::canonical_dkim_selector(dkim_selector);
  if (!selector) return tl::unexpected(selector.error());
  auto domain = get(name);
  if (!domain) return tl::unexpected(domain.error());
  auto updated =
      run(db_, "UPDATE domains SET dkim_selector = ?1 WHERE id = ?2", {*selector, domain->id});
  if (!updated) return tl::unexpected(updated.error());
  return {};
}

Result<void> DomainRepository::set_spam_threshold(std::string_view name,
                                                  std::optional<int64_t> threshold) {
  auto domain = get(name);
  if (!domain) return tl::unexpected(domain.error());
  SqlValue value = nullptr;
  if (threshold) value = *threshold;
  auto updated =
      run(db_, "UPDATE domains SET spam_threshold = ?1 WHERE id = ?2", {value, domain->id});
  if (!updated) return tl::unexpected(updated.error());
  return {};
}

Result<std::optional<int64_t>> DomainRepository::spam_threshold(std::string_view name) {
  auto domain = get(name);
  if (!domain) return tl::unexpected(domain.error());
  auto stmt = query(db_, "SELECT spam_threshold FROM domains WHERE id = ?1", {domain->id});
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = next_row(db_, stmt->get());
  if (!row) return tl::unexpected(row.error());
  if (!*row || column_is_null(stmt->get(), 0)) return std::optional<int64_t>();
  return std::optional<int64_t>(column_int(stmt->get(), 0));
}

Result<std::optional<std::string>> DomainRepository::owner_of(std::string_view canonical_name) {
  auto stmt = query(db_,
                    "SELECT name FROM domains WHERE name = ?1 COLLATE NOCASE UNION ALL SELECT "
                    "d.name FROM domain_aliases a JOIN domains d ON d.id = a.domain_id WHERE "
                    "a.alias = ?1 COLLATE NOCASE LIMIT 1",
                    {canonical_name});
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = next_row(db_, stmt->get());
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(column_text(stmt->get(), 0));
}

}  // namespace pw::store
