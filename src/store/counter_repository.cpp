// The counters' rows (see the header).
#include "store/counter_repository.hpp"

#include "store/statement.hpp"

namespace pw::store {

namespace {

Result<std::vector<CounterBucket>> read_buckets(Database& db, Result<StatementPtr> stmt) {
  std::vector<CounterBucket> out;
  auto r = for_each_row(db, stmt, [&](const Row* s) {
    out.push_back({column_text(s, 0), column_text(s, 1), column_int(s, 2), column_int(s, 3)});
  });
  if (!r) return tl::unexpected(r.error());
  return out;
}

}  // namespace

Result<std::vector<CounterBucket>> CounterRepository::buckets_after(int64_t after) {
  return read_buckets(
      db_,
      query(db_, "SELECT subject, kind, bucket, count FROM counters WHERE bucket > ?1", {after}));
}

Result<std::vector<CounterBucket>> CounterRepository::subject_buckets_after(
    std::string_view subject, int64_t after) {
  return read_buckets(db_, query(db_,
                                 "SELECT subject, kind, bucket, count FROM counters WHERE "
                                 "subject = ?1 AND bucket > ?2",
                                 {subject, after}));
}

Result<void> CounterRepository::remove(std::string_view subject,
                                       const std::vector<std::string>& kinds) {
  if (kinds.empty()) {
    auto r = run(db_, "DELETE FROM counters WHERE subject = ?1", {subject});
    if (!r) return tl::unexpected(r.error());
    return {};
  }
  for (const auto& kind : kinds) {
    auto r = run(db_, "DELETE FROM counters WHERE subject = ?1 AND kind = ?2",
                 {subject, std::string_view(kind)});
    if (!r) return tl::unexpected(r.error());
  }
  return {};
}

Result<void> CounterRepository::save(const CounterBucket& b) {
  auto r = run(db_,
               "INSERT INTO counters(subject, kind, bucket, count) VALUES (?1, ?2, ?3, ?4) ON "
               "CONFLICT(subject, kind, bucket) DO UPDATE SET count = excluded.count",
               {std::string_view(b.subject), std::string_view(b.kind), b.bucket, b.count});
  if (!r) return tl::unexpected(r.error());
  return {};
}

Result<void> CounterRepository::prune(int64_t minute_before, int64_t hour_before) {
  auto r = run(db_, "DELETE FROM counters WHERE (kind LIKE '%/m' AND bucket < ?1) OR bucket < ?2",
               {minute_before, hour_before});
  if (!r) return tl::unexpected(r.error());
  return {};
}

Result<int64_t> CounterRepository::newest_reset_id() {
  auto stmt = query(db_, "SELECT coalesce(max(id), 0) FROM counter_resets");
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = next_row(db_, stmt->get());
  if (!row) return tl::unexpected(row.error());
  return *row ? column_int(stmt->get(), 0) : 0;
}

Result<std::vector<CounterReset>> CounterRepository::resets_after(int64_t id, int64_t limit) {
  auto stmt = query(db_,
                    "SELECT id, subject, kind FROM counter_resets WHERE id > ?1 ORDER BY id "
                    "LIMIT ?2",
                    {id, limit});
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<CounterReset> out;
  for (;;) {
    auto row = next_row(db_, stmt->get());
    if (!row) return tl::unexpected(row.error());
    if (!*row) return out;
    out.push_back(
        {column_int(stmt->get(), 0), column_text(stmt->get(), 1), column_text(stmt->get(), 2)});
  }
}

Result<void> CounterRepository::request_reset(std::string_view subject, std::string_view kind,
                                              int64_t now, int64_t before) {
  auto pruned = run(db_, "DELETE FROM counter_resets WHERE requested_at < ?1", {before});
  if (!pruned) return tl::unexpected(pruned.error());
  auto asked =
      run(db_, "INSERT INTO counter_resets(subject, kind, requested_at) VALUES (?1, ?2, ?3)",
          {subject, kind, now});  // "" (all), not NULL
  if (!asked) return tl::unexpected(asked.error());
  return {};
}

}  // namespace pw::store
