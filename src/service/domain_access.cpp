#include "service/domain_access.hpp"

#include "auth/name_syntax.hpp"
#include "store/statement.hpp"

namespace pw::service {

Result<std::optional<std::string>> main_domain_of(store::Database& db, std::string_view name) {
  auto canonical = auth::canonical_domain_name(name);
  if (!canonical) return std::optional<std::string>();
  auto stmt = store::query(db,
                           "SELECT name FROM domains WHERE name = ?1 COLLATE NOCASE UNION ALL "
                           "SELECT d.name FROM domain_aliases a JOIN domains d ON d.id = "
                           "a.domain_id WHERE a.alias = ?1 COLLATE NOCASE LIMIT 1",
                           {*canonical});
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = store::next_row(db, stmt->get());
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(store::column_text(stmt->get(), 0));
}

Outcome<void> check_domain_access(store::Database& db, const Actor& actor, std::string_view name) {
  if (actor.is_admin()) return {};
  auto main = main_domain_of(db, name);
  if (!main) return from_error(main.error(), Failure::Kind::kInternal);
  if (!*main || !actor.may_access_domain(**main)) return forbidden();
  return {};
}

Outcome<void> require_admin(const Actor& actor) {
  if (!actor.is_admin()) return forbidden("only the node's administrator may do this");
  return {};
}

}  // namespace pw::service
