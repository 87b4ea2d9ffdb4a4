// See stats_service.hpp.
#include "service/stats_service.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "service/paging.hpp"
#include "service/scope.hpp"
#include "store/statement.hpp"

namespace pw::service {
namespace {

// Adds each (bucket number, count) row of `stmt` to the buckets' `field`.
Outcome<void> add_counts(store::Database& db, Result<store::StatementPtr> stmt, int64_t first,
                         std::vector<StatsBucket>& buckets, int64_t StatsBucket::*field) {
  if (!stmt) return from_error(stmt.error(), Failure::Kind::kInternal);
  for (;;) {
    auto row = store::next_row(db, stmt->get());
    if (!row) return from_error(row.error(), Failure::Kind::kInternal);
    if (!*row) break;
    int64_t index = store::column_int(stmt->get(), 0) - first;
    if (index >= 0 && index < static_cast<int64_t>(buckets.size()))
      buckets[static_cast<size_t>(index)].*field += store::column_int(stmt->get(), 1);
  }
  return {};
}

// Messages of one status per bucket. For a domain: the sending domain's messages plus the
// user's domain's sent from elsewhere, each read from its own index.
Result<store::StatementPtr> messages_per_bucket(store::Database& db, std::string_view status,
                                                int64_t size, int64_t start,
                                                const std::string& domain) {
  if (domain.empty())
    return store::query(db,
                        "SELECT received_at / ?1, count(*) FROM messages WHERE status = ?2 AND "
                        "received_at >= ?3 GROUP BY 1",
                        {size, status, start});
  return store::query(db,
                      "SELECT b, count(*) FROM (SELECT received_at / ?1 AS b FROM messages WHERE "
                      "sender_domain = ?4 AND status = ?2 AND received_at >= ?3 UNION ALL SELECT "
                      "received_at / ?1 FROM messages WHERE user_domain = ?4 AND status = ?2 AND "
                      "received_at >= ?3 AND sender_domain <> ?4) GROUP BY b",
                      {size, status, start, domain});
}

Outcome<std::vector<TopSender>> top(store::Database& db, bool identities, int64_t since,
                                    const std::string& domain) {
  std::string column = identities ? "sender, identity" : "sender, ''";
  std::string sql = "SELECT " + column +
                    ", count(*) AS n FROM messages WHERE received_at >= ?1 AND (?2 = '' OR "
                    "sender_domain = ?2 OR user_domain = ?2)" +
                    (identities ? " AND identity <> ''" : "") + " GROUP BY 1, 2 ORDER BY n DESC, " +
                    "1, 2 LIMIT ?3";
  auto stmt = store::query(db, sql, {since, domain, kTopListSize});
  if (!stmt) return from_error(stmt.error(), Failure::Kind::kInternal);
  std::vector<TopSender> out;
  for (;;) {
    auto row = store::next_row(db, stmt->get());
    if (!row) return from_error(row.error(), Failure::Kind::kInternal);
    if (!*row) break;
    out.push_back({store::column_text(stmt->get(), 0), store::column_text(stmt->get(), 1),
                   store::column_int(stmt->get(), 2)});
  }
  return out;
}

Outcome<void> current_locks(store::Database& db, const std::string& domain, int64_t now,
                            Stats& stats) {
  std::set<std::string> users;  // the domain's users, when limited to one
  if (!domain.empty()) {
    auto stmt = store::query(
        db, "SELECT u.name FROM users u JOIN domains d ON d.id = u.domain_id WHERE d.name = ?1",
        {domain});
    if (!stmt) return from_error(stmt.error(), Failure::Kind::kInternal);
    for (;;) {
      auto row = store::next_row(db, stmt->get());
      if (!row) return from_error(row.error(), Failure::Kind::kInternal);
      if (!*row) break;
      users.insert(store::column_text(stmt->get(), 0));
    }
  }
  auto stmt = store::query(db,
                           "SELECT subject, locked_at, unlock_at, reason FROM locks WHERE locked "
                           "= 1 AND (unlock_at = 0 OR unlock_at > ?1) ORDER BY locked_at DESC",
                           {now});
  if (!stmt) return from_error(stmt.error(), Failure::Kind::kInternal);
  for (;;) {
    auto row = store::next_row(db, stmt->get());
    if (!row) return from_error(row.error(), Failure::Kind::kInternal);
    if (!*row) break;
    std::string subject = store::column_text(stmt->get(), 0);
    LockEntry entry;
    entry.since = store::column_int(stmt->get(), 1);
    entry.until = store::column_int(stmt->get(), 2);
    entry.reason = store::column_text(stmt->get(), 3);
    bool identity = false;
    if (subject.starts_with("user:")) {
      entry.user = subject.substr(5);
    } else if (subject.starts_with("identity:")) {
      std::string rest = subject.substr(9);
      size_t slash = rest.rfind('/');
      if (slash == std::string::npos) continue;
      entry.user = rest.substr(0, slash);
      entry.identity = rest.substr(slash + 1);
      identity = true;
    } else {
      continue;
    }
    if (!domain.empty() && !users.contains(entry.user)) continue;
    (identity ? stats.identity_locks : stats.user_locks).push_back(std::move(entry));
  }
  return {};
}

}  // namespace

Outcome<Stats> dashboard_stats(const Actor& actor, store::Database& db,
                               const std::optional<std::string>& period,
                               const std::optional<std::string>& domain, int64_t now) {
  Stats stats;
  stats.period = period.value_or("hour");
  if (stats.period != "hour" && stats.period != "day") return invalid("period must be hour or day");
  auto scope = list_scope(actor, db, domain);
  if (!scope) return tl::unexpected(scope.error());
  const std::string scoped = scope->value_or("");
  const int64_t size = stats.period == "hour" ? 3600 : 86400;
  const int64_t count = stats.period == "hour" ? kHourBuckets : kDayBuckets;
  const int64_t last = now / size;  // the current bucket's number
  const int64_t first = last - count + 1;
  const int64_t start = first * size;
  for (int64_t i = 0; i < count; ++i) stats.buckets.push_back({(first + i) * size});

  if (auto r = add_counts(db, messages_per_bucket(db, "delivered", size, start, scoped), first,
                          stats.buckets, &StatsBucket::sent);
      !r)
    return tl::unexpected(r.error());
  if (auto r = add_counts(db, messages_per_bucket(db, "deferred", size, start, scoped), first,
                          stats.buckets, &StatsBucket::deferred);
      !r)
    return tl::unexpected(r.error());
  if (auto r = add_counts(db,
                          store::query(db,
                                       "SELECT at / ?1, count(*) FROM decisions WHERE action = "
                                       "'reject' AND at >= ?2 AND (?3 = '' OR user_domain = ?3 "
                                       "COLLATE NOCASE) GROUP BY 1",
                                       {size, start, scoped}),
                          first, stats.buckets, &StatsBucket::blocked);
      !r)
    return tl::unexpected(r.error());
  if (auto r = add_counts(db,
                          store::query(db,
                                       "SELECT held_at / ?1, count(*) FROM quarantine WHERE "
                                       "held_at >= ?2 AND (?3 = '' OR user_domain = lower(?3)) "
                                       "GROUP BY 1",
                                       {size, start, scoped}),
                          first, stats.buckets, &StatsBucket::quarantined);
      !r)
    return tl::unexpected(r.error());

  auto senders = top(db, false, now - kTopWindowSeconds, scoped);
  if (!senders) return tl::unexpected(senders.error());
  stats.top_senders = std::move(*senders);
  auto identities = top(db, true, now - kTopWindowSeconds, scoped);
  if (!identities) return tl::unexpected(identities.error());
  stats.top_identities = std::move(*identities);
  if (auto r = current_locks(db, scoped, now, stats); !r) return tl::unexpected(r.error());
  return stats;
}

nlohmann::json stats_json(const Stats& stats) {
  nlohmann::json buckets = nlohmann::json::array();
  for (const auto& b : stats.buckets)
    buckets.push_back({{"start", iso_time(b.start)},
                       {"sent", b.sent},
                       {"blocked", b.blocked},
                       {"quarantined", b.quarantined},
                       {"deferred", b.deferred}});
  nlohmann::json senders = nlohmann::json::array();
  for (const auto& s : stats.top_senders)
    senders.push_back({{"user", s.user}, {"messages", s.messages}});
  nlohmann::json identities = nlohmann::json::array();
  for (const auto& s : stats.top_identities)
    identities.push_back({{"user", s.user}, {"identity", s.identity}, {"messages", s.messages}});
  auto locks = [](const std::vector<LockEntry>& entries, bool identity) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : entries) {
      nlohmann::json j = {{"user", e.user},
                          {"since", iso_time(e.since)},
                          {"until", e.until ? nlohmann::json(iso_time(e.until)) : nlohmann::json()},
                          {"reason", e.reason}};
      if (identity) j["identity"] = e.identity;
      out.push_back(std::move(j));
    }
    return out;
  };
  return {{"period", stats.period},
          {"buckets", buckets},
          {"top_senders", senders},
          {"top_identities", identities},
          {"top_window_hours", kTopWindowSeconds / 3600},
          {"locks",
           {{"users", locks(stats.user_locks, false)},
            {"identities", locks(stats.identity_locks, true)}}}};
}

}  // namespace pw::service
