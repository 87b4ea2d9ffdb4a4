// Identities (see the header).
#include "store/identity_repository.hpp"

#include "store/statement.hpp"

namespace pw::store {

Result<std::vector<IdentityRow>> IdentityRepository::list(std::string_view domain,
                                                          std::string_view user) {
  auto stmt = query(db_,
                    "SELECT d.name, u.name, i.identity, i.manual, i.created_at, i.last_seen_at, "
                    "i.messages FROM identities i JOIN users u ON u.id = i.user_id JOIN domains d "
                    "ON d.id = u.domain_id WHERE (?1 = '' OR d.name = ?1 COLLATE NOCASE) AND (?2 "
                    "= '' OR u.name = ?2 COLLATE NOCASE) ORDER BY d.name, u.name, i.identity",
                    {domain, user});
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<IdentityRow> out;
  for (;;) {
    auto row = next_row(db_, stmt->get());
    if (!row) return tl::unexpected(row.error());
    if (!*row) return out;
    out.push_back({column_text(stmt->get(), 0), column_text(stmt->get(), 1),
                   column_text(stmt->get(), 2), column_int(stmt->get(), 3) != 0,
                   column_int(stmt->get(), 4), column_int(stmt->get(), 5),
                   column_int(stmt->get(), 6)});
  }
}

Result<void> IdentityRepository::add_manual(int64_t user_id, std::string_view identity,
                                            int64_t now) {
  auto r = run(db_,
               "INSERT INTO identities(user_id, identity, manual, created_at) VALUES (?1, ?2, 1, "
               "?3) ON CONFLICT(user_id, identity) DO UPDATE SET manual = 1",
               {user_id, identity, now});
  if (!r) return tl::unexpected(r.error());
  return {};
}

Result<void> IdentityRepository::add_manual_if_missing(int64_t user_id, std::string_view identity,
                                                       int64_t now) {
  auto r = run(db_,
               "INSERT INTO identities(user_id, identity, manual, created_at) VALUES (?1, ?2, 1, "
               "?3) ON CONFLICT DO NOTHING",
               {user_id, identity, now});
  if (!r) return tl::unexpected(r.error());
  return {};
}

}  // namespace pw::store
