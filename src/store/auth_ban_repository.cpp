// The `auth_bans` table (migration 14).
#include "store/auth_ban_repository.hpp"

#include "store/statement.hpp"

namespace pw::store {

Result<void> AuthBanRepository::save(const std::vector<AuthBan>& bans, int64_t now,
                                     size_t max_rows) {
  return db_.transaction([&]() -> Result<void> {
    for (const auto& ban : bans) {
      auto r =
          run(db_,
              "INSERT INTO auth_bans(ip, banned_until) VALUES (?1, ?2) ON CONFLICT(ip) DO "
              "UPDATE SET banned_until = CASE WHEN excluded.banned_until > auth_bans.banned_until "
              "THEN excluded.banned_until ELSE auth_bans.banned_until END",
              {std::string_view(ban.ip), ban.banned_until});
      if (!r) return tl::unexpected(r.error());
    }
    auto expired = run(db_, "DELETE FROM auth_bans WHERE banned_until <= ?1", {now});
    if (!expired) return tl::unexpected(expired.error());
    auto trimmed = run(db_,
                       "DELETE FROM auth_bans WHERE ip NOT IN (SELECT ip FROM auth_bans ORDER BY "
                       "banned_until DESC, ip LIMIT ?1)",
                       {static_cast<int64_t>(max_rows)});
    if (!trimmed) return tl::unexpected(trimmed.error());
    return {};
  });
}

Result<std::vector<AuthBan>> AuthBanRepository::active(int64_t now, size_t max_rows) {
  auto stmt = query(db_,
                    "SELECT ip, banned_until FROM auth_bans WHERE banned_until > ?1 ORDER BY "
                    "banned_until DESC, ip LIMIT ?2",
                    {now, static_cast<int64_t>(max_rows)});
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<AuthBan> out;
  for (;;) {
    auto row = next_row(db_, stmt->get());
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    out.push_back({column_text(stmt->get(), 0), column_int(stmt->get(), 1)});
  }
  return out;
}

}  // namespace pw::store
