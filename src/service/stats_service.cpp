// See stats_service.hpp.
#include "service/stats_service.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "service/paging.hpp"
#include "service/scope.hpp"
#include "store/lock_repository.hpp"
#include "store/stats_queries.hpp"

namespace pw::service {
namespace {

// Adds each (bucket number, count) to the buckets' `field`.
Outcome<void> add_counts(Result<store::BucketCounts> counts, int64_t first,
                         std::vector<StatsBucket>& buckets, int64_t StatsBucket::*field) {
  if (!counts) return from_error(counts.error(), Failure::Kind::kInternal);
  for (const auto& [number, n] : *counts) {
    int64_t index = number - first;
    if (index >= 0 && index < static_cast<int64_t>(buckets.size()))
      buckets[static_cast<size_t>(index)].*field += n;
  }
  return {};
}

Outcome<std::vector<TopSender>> top(store::Database& db, bool identities, int64_t since,
                                    const std::string& domain) {
  auto rows = store::StatsQueries(db).top_senders(identities, since, domain, kTopListSize);
  if (!rows) return from_error(rows.error(), Failure::Kind::kInternal);
  std::vector<TopSender> out;
  for (auto& row : *rows)
    out.push_back({std::move(row.sender), std::move(row.identity), row.messages});
  return out;
}

Outcome<void> current_locks(store::Database& db, const std::string& domain, int64_t now,
                            Stats& stats) {
  std::set<std::string> users;  // the domain's users, when limited to one
  if (!domain.empty()) {
    auto names = store::StatsQueries(db).user_names(domain);
    if (!names) return from_error(names.error(), Failure::Kind::kInternal);
    users.insert(names->begin(), names->end());
  }
  auto locks = store::active_locks(db, now);
  if (!locks) return from_error(locks.error(), Failure::Kind::kInternal);
  for (const auto& lock : *locks) {
    const std::string& subject = lock.subject;
    LockEntry entry;
    entry.since = lock.locked_at;
    entry.until = lock.unlock_at;
    entry.reason = lock.reason;
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

  store::StatsQueries queries(db);
  if (auto r = add_counts(queries.messages("delivered", size, start, scoped), first, stats.buckets,
                          &StatsBucket::sent);
      !r)
    return tl::unexpected(r.error());
  if (auto r = add_counts(queries.messages("deferred", size, start, scoped), first, stats.buckets,
                          &StatsBucket::deferred);
      !r)
    return tl::unexpected(r.error());
  if (auto r = add_counts(queries.rejections(size, start, scoped), first, stats.buckets,
                          &StatsBucket::blocked);
      !r)
    return tl::unexpected(r.error());
  if (auto r = add_counts(queries.held(size, start, scoped), first, stats.buckets,
                          &StatsBucket::quarantined);
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
