// AUTH bans between the guard (steady clock) and the database (unix seconds).
#include "app/auth_ban_keeper.hpp"

#include <spdlog/spdlog.h>

#include "store/auth_ban_repository.hpp"
#include "store/statement.hpp"

namespace pw::app {

Result<size_t> load_auth_bans(store::Database& db, auth::BruteForceGuard& guard, size_t max_rows) {
  const int64_t now = store::unix_now();
  auto bans = store::AuthBanRepository(db).active(now, max_rows);
  if (!bans) return tl::unexpected(bans.error());
  const auto steady_now = auth::BruteForceGuard::Clock::now();
  const auto wall_now = std::chrono::system_clock::now().time_since_epoch();
  for (const auto& ban : *bans) {
    auto left = std::chrono::seconds(ban.banned_until) - wall_now;
    guard.restore_ban(ban.ip,
                      steady_now + std::chrono::duration_cast<std::chrono::milliseconds>(left),
                      steady_now);
  }
  return bans->size();
}

void save_auth_bans(store::Database& db, auth::BruteForceGuard& guard, size_t max_rows) {
  const auto steady_now = auth::BruteForceGuard::Clock::now();
  const int64_t now = store::unix_now();
  std::vector<store::AuthBan> rows;
  for (const auto& ban : guard.take_new_bans(steady_now)) {
    auto left = std::chrono::ceil<std::chrono::seconds>(ban.until - steady_now);
    rows.push_back({ban.ip, now + left.count()});
  }
  if (rows.empty()) return;  // expired rows go with the next save; loading skips them
  if (auto r = store::AuthBanRepository(db).save(rows, now, max_rows); !r)
    spdlog::error("event=auth_bans_save_failed bans={} error=\"{}\"", rows.size(),
                  r.error().message);
  else
    spdlog::info("event=auth_bans_saved bans={}", rows.size());
}

}  // namespace pw::app
