// Rolling counters in minute and hour buckets, mirrored to the `counters` table.
#include "policy/counter_store.hpp"

#include "store/database.hpp"
#include "store/statement.hpp"

namespace pw::policy {
namespace {

// Reset requests kept for a running gateway to see; one reload applies at most this many (the
// rest at the next one).
constexpr int64_t kResetRequestLifetime = 86400;
constexpr int64_t kMaxResetsPerReload = 10000;

std::string kind_key(std::string_view kind, bool fine) {
  return std::string(kind) + (fine ? "/m" : "/h");
}

Result<void> delete_counters(store::Database& db, std::string_view subject, std::string_view kind) {
  auto r = kind.empty()
               ? store::run(db, "DELETE FROM counters WHERE subject = ?1", {subject})
               : store::run(db, "DELETE FROM counters WHERE subject = ?1 AND kind IN (?2, ?3)",
                            {subject, std::string_view(kind_key(kind, true)),
                             std::string_view(kind_key(kind, false))});
  if (!r) return tl::unexpected(r.error());
  return {};
}

}  // namespace

std::string user_subject(std::string_view user_name) { return "user:" + std::string(user_name); }
std::string identity_subject(std::string_view user_name, std::string_view identity) {
  return "identity:" + std::string(user_name) + "/" + std::string(identity);
}
std::string ip_subject(std::string_view client_ip) { return "ip:" + std::string(client_ip); }

Result<void> CounterStore::load(store::Database& db, int64_t now) {
  auto stmt =
      store::query(db, "SELECT subject, kind, bucket, count FROM counters WHERE bucket > ?1",
                   {now - kCoarseSpan});
  if (!stmt) return tl::unexpected(stmt.error());
  std::lock_guard lock(mutex_);
  for (;;) {
    auto row = store::next_row(db, stmt->get());
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    buckets_[{store::column_text(stmt->get(), 0), store::column_text(stmt->get(), 1),
              store::column_int(stmt->get(), 2)}] = store::column_int(stmt->get(), 3);
  }
  return {};
}

void CounterStore::add(std::string_view subject, std::string_view kind, int64_t n, int64_t now) {
  if (n == 0) return;
  std::lock_guard lock(mutex_);
  for (bool fine : {true, false}) {
    int64_t size = fine ? kMinute : kHour;
    Key key{std::string(subject), kind_key(kind, fine), now - now % size};
    buckets_[key] += n;
    dirty_.insert(key);
  }
}

int64_t CounterStore::sum(std::string_view subject, std::string_view kind, int64_t window_s,
                          int64_t now) const {
  bool fine = window_s <= kFineSpan;
  std::string k = kind_key(kind, fine);
  std::lock_guard lock(mutex_);
  int64_t total = 0;
  // The buckets that started within the last window_s seconds.
  for (auto it = buckets_.lower_bound({std::string(subject), k, now - window_s + 1});
       it != buckets_.end(); ++it) {
    if (std::get<0>(it->first) != subject || std::get<1>(it->first) != k) break;
    total += it->second;
  }
  return total;
}

std::map<std::string, int64_t> CounterStore::sums(std::string_view subject, int64_t window_s,
                                                  int64_t now) const {
  std::map<std::string, int64_t> out;
  for (auto kind : {counter::kConnections, counter::kMessages, counter::kRecipients,
                    counter::kInvalidRecipients, counter::kSpam, counter::kUnsure})
    out[std::string(kind)] = sum(subject, kind, window_s, now);
  return out;
}

void CounterStore::reset(std::string_view subject, std::string_view kind) {
  std::lock_guard lock(mutex_);
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const auto& bucket_kind = std::get<1>(it->first);
    bool of_kind =
        kind.empty() || bucket_kind == kind_key(kind, true) || bucket_kind == kind_key(kind, false);
    if (std::get<0>(it->first) == subject && of_kind) {
      dirty_.erase(it->first);
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
  resets_.emplace(std::string(subject), std::string(kind));
}

Result<size_t> CounterStore::apply_requested_resets(store::Database& db) {
  if (!last_reset_request_) {
    auto newest = store::query(db, "SELECT coalesce(max(id), 0) FROM counter_resets");
    if (!newest) return tl::unexpected(newest.error());
    auto row = store::next_row(db, newest->get());
    if (!row) return tl::unexpected(row.error());
    last_reset_request_ = *row ? store::column_int(newest->get(), 0) : 0;
    return size_t{0};
  }
  auto stmt = store::query(db,
                           "SELECT id, subject, kind FROM counter_resets WHERE id > ?1 ORDER BY "
                           "id LIMIT ?2",
                           {*last_reset_request_, kMaxResetsPerReload});
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<std::pair<std::string, std::string>> requested;
  int64_t last = *last_reset_request_;
  for (;;) {
    auto row = store::next_row(db, stmt->get());
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    last = store::column_int(stmt->get(), 0);
    requested.emplace_back(store::column_text(stmt->get(), 1), store::column_text(stmt->get(), 2));
  }
  last_reset_request_ = last;
  for (const auto& [subject, kind] : requested) reset(subject, kind);
  return requested.size();
}

Result<void> CounterStore::flush(store::Database& db, int64_t now) {
  std::vector<std::pair<Key, int64_t>> changed;
  std::set<std::pair<std::string, std::string>> resets;
  {
    std::lock_guard lock(mutex_);
    for (const auto& key : dirty_) {
      auto it = buckets_.find(key);
      if (it != buckets_.end()) changed.emplace_back(key, it->second);
    }
    dirty_.clear();
    resets.swap(resets_);
    // Forget buckets past their span.
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      const auto& kind = std::get<1>(it->first);
      bool fine = kind.size() > 2 && kind.compare(kind.size() - 2, 2, "/m") == 0;
      if (std::get<2>(it->first) < now - (fine ? kFineSpan : kCoarseSpan))
        it = buckets_.erase(it);
      else
        ++it;
    }
  }
  return db.transaction([&]() -> Result<void> {
    for (const auto& [subject, kind] : resets)
      if (auto r = delete_counters(db, subject, kind); !r) return tl::unexpected(r.error());
    for (const auto& [key, count] : changed) {
      const auto& [subject, kind, bucket] = key;
      auto r = store::run(db,
                          "INSERT INTO counters(subject, kind, bucket, count) VALUES (?1, ?2, ?3, "
                          "?4) ON CONFLICT(subject, kind, bucket) DO UPDATE SET count = "
                          "excluded.count",
                          {subject, kind, bucket, count});
      if (!r) return tl::unexpected(r.error());
    }
    auto pruned = store::run(
        db, "DELETE FROM counters WHERE (kind LIKE '%/m' AND bucket < ?1) OR bucket < ?2",
        {now - kFineSpan, now - kCoarseSpan});
    if (!pruned) return tl::unexpected(pruned.error());
    return {};
  });
}

Result<std::map<std::string, int64_t>> CounterStore::read_sums(store::Database& db,
                                                               std::string_view subject,
                                                               int64_t window_s, int64_t now) {
  CounterStore one;
  auto stmt = store::query(
      db, "SELECT subject, kind, bucket, count FROM counters WHERE subject = ?1 AND bucket > ?2",
      {subject, now - kCoarseSpan});
  if (!stmt) return tl::unexpected(stmt.error());
  for (;;) {
    auto row = store::next_row(db, stmt->get());
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    one.buckets_[{store::column_text(stmt->get(), 0), store::column_text(stmt->get(), 1),
                  store::column_int(stmt->get(), 2)}] = store::column_int(stmt->get(), 3);
  }
  return one.sums(subject, window_s, now);
}

Result<void> CounterStore::reset_in_database(store::Database& db, std::string_view subject,
                                             std::string_view kind) {
  return db.transaction([&]() -> Result<void> {
    if (auto r = delete_counters(db, subject, kind); !r) return tl::unexpected(r.error());
    const int64_t now = store::unix_now();
    auto pruned = store::run(db, "DELETE FROM counter_resets WHERE requested_at < ?1",
                             {now - kResetRequestLifetime});
    if (!pruned) return tl::unexpected(pruned.error());
    auto asked = store::run(
        db, "INSERT INTO counter_resets(subject, kind, requested_at) VALUES (?1, ?2, ?3)",
        {subject, kind.empty() ? std::string_view("") : kind, now});  // "" (all), not NULL
    if (!asked) return tl::unexpected(asked.error());
    return {};
  });
}

}  // namespace pw::policy
