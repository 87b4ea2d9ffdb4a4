// Rolling counters in minute and hour buckets, mirrored to the `counters` table.
#include "policy/counter_store.hpp"

#include "store/counter_repository.hpp"
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
  std::vector<std::string> kinds;
  if (!kind.empty()) kinds = {kind_key(kind, true), kind_key(kind, false)};
  return store::CounterRepository(db).remove(subject, kinds);
}

}  // namespace

std::string user_subject(std::string_view user_name) { return "user:" + std::string(user_name); }
std::string identity_subject(std::string_view user_name, std::string_view identity) {
  return "identity:" + std::string(user_name) + "/" + std::string(identity);
}
std::string ip_subject(std::string_view client_ip) { return "ip:" + std::string(client_ip); }

Result<void> CounterStore::load(store::Database& db, int64_t now) {
  auto rows = store::CounterRepository(db).buckets_after(now - kCoarseSpan);
  if (!rows) return tl::unexpected(rows.error());
  std::lock_guard lock(mutex_);
  for (auto& b : *rows) buckets_[{std::move(b.subject), std::move(b.kind), b.bucket}] = b.count;
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
  store::CounterRepository rows(db);
  if (!last_reset_request_) {
    auto newest = rows.newest_reset_id();
    if (!newest) return tl::unexpected(newest.error());
    last_reset_request_ = *newest;
    return size_t{0};
  }
  auto requested = rows.resets_after(*last_reset_request_, kMaxResetsPerReload);
  if (!requested) return tl::unexpected(requested.error());
  if (!requested->empty()) last_reset_request_ = requested->back().id;
  for (const auto& r : *requested) reset(r.subject, r.kind);
  return requested->size();
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
  store::CounterRepository rows(db);
  return db.transaction([&]() -> Result<void> {
    for (const auto& [subject, kind] : resets)
      if (auto r = delete_counters(db, subject, kind); !r) return tl::unexpected(r.error());
    for (const auto& [key, count] : changed) {
      const auto& [subject, kind, bucket] = key;
      if (auto r = rows.save({subject, kind, bucket, count}); !r) return r;
    }
    return rows.prune(now - kFineSpan, now - kCoarseSpan);
  });
}

Result<std::map<std::string, int64_t>> CounterStore::read_sums(store::Database& db,
                                                               std::string_view subject,
                                                               int64_t window_s, int64_t now) {
  CounterStore one;
  auto rows = store::CounterRepository(db).subject_buckets_after(subject, now - kCoarseSpan);
  if (!rows) return tl::unexpected(rows.error());
  for (auto& b : *rows) one.buckets_[{std::move(b.subject), std::move(b.kind), b.bucket}] = b.count;
  return one.sums(subject, window_s, now);
}

Result<void> CounterStore::reset_in_database(store::Database& db, std::string_view subject,
                                             std::string_view kind) {
  return db.transaction([&]() -> Result<void> {
    if (auto r = delete_counters(db, subject, kind); !r) return tl::unexpected(r.error());
    const int64_t now = store::unix_now();
    return store::CounterRepository(db).request_reset(
        subject, kind.empty() ? std::string_view("") : kind, now, now - kResetRequestLifetime);
  });
}

}  // namespace pw::policy
