// Rolling counters in minute and hour buckets, mirrored to the `counters` table.
#include "policy/counter_store.hpp"

#include "store/database.hpp"
#include "store/statement.hpp"

namespace pw::policy {
namespace {

std::string kind_key(std::string_view kind, bool fine) {
  return std::string(kind) + (fine ? "/m" : "/h");
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

void CounterStore::reset(std::string_view subject) {
  std::lock_guard lock(mutex_);
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    if (std::get<0>(it->first) == subject) {
      dirty_.erase(it->first);
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
  resets_.insert(std::string(subject));
}

Result<void> CounterStore::flush(store::Database& db, int64_t now) {
  std::vector<std::pair<Key, int64_t>> changed;
  std::set<std::string> resets;
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
    for (const auto& subject : resets)
      if (auto r = store::run(db, "DELETE FROM counters WHERE subject = ?1", {subject}); !r)
        return tl::unexpected(r.error());
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

Result<void> CounterStore::reset_in_database(store::Database& db, std::string_view subject) {
  auto r = store::run(db, "DELETE FROM counters WHERE subject = ?1", {subject});
  if (!r) return tl::unexpected(r.error());
  return {};
}

}  // namespace pw::policy
