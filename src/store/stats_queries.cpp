// The dashboard's queries (see the header).
#include "store/stats_queries.hpp"

#include "store/statement.hpp"

namespace pw::store {
namespace {

Result<BucketCounts> read_counts(Database& db, Result<StatementPtr> stmt) {
  BucketCounts out;
  auto r = for_each_row(
      db, stmt, [&](const Row* s) { out.emplace_back(column_int(s, 0), column_int(s, 1)); });
  if (!r) return tl::unexpected(r.error());
  return out;
}

}  // namespace

Result<BucketCounts> StatsQueries::messages(std::string_view status, int64_t size, int64_t start,
                                            std::string_view domain) {
  if (domain.empty())
    return read_counts(db_, query(db_,
                                  "SELECT received_at / ?1, count(*) FROM messages WHERE status = "
                                  "?2 AND received_at >= ?3 GROUP BY 1",
                                  {size, status, start}));
  // Each half read from its own index.
  return read_counts(
      db_, query(db_,
                 "SELECT b, count(*) FROM (SELECT received_at / ?1 AS b FROM messages WHERE "
                 "sender_domain = ?4 AND status = ?2 AND received_at >= ?3 UNION ALL SELECT "
                 "received_at / ?1 FROM messages WHERE user_domain = ?4 AND status = ?2 AND "
                 "received_at >= ?3 AND sender_domain <> ?4) GROUP BY b",
                 {size, status, start, domain}));
}

Result<BucketCounts> StatsQueries::rejections(int64_t size, int64_t start,
                                              std::string_view domain) {
  return read_counts(db_, query(db_,
                                "SELECT at / ?1, count(*) FROM decisions WHERE action = 'reject' "
                                "AND at >= ?2 AND (?3 = '' OR user_domain = ?3 COLLATE NOCASE) "
                                "GROUP BY 1",
                                {size, start, domain}));
}

Result<BucketCounts> StatsQueries::held(int64_t size, int64_t start, std::string_view domain) {
  return read_counts(db_, query(db_,
                                "SELECT held_at / ?1, count(*) FROM quarantine WHERE held_at >= "
                                "?2 AND (?3 = '' OR user_domain = lower(?3)) GROUP BY 1",
                                {size, start, domain}));
}

Result<std::vector<TopSenderRow>> StatsQueries::top_senders(bool identities, int64_t since,
                                                            std::string_view domain,
                                                            int64_t limit) {
  std::string column = identities ? "sender, identity" : "sender, ''";
  std::string sql = "SELECT " + column +
                    ", count(*) AS n FROM messages WHERE received_at >= ?1 AND (?2 = '' OR "
                    "sender_domain = ?2 OR user_domain = ?2)" +
                    (identities ? " AND identity <> ''" : "") + " GROUP BY 1, 2 ORDER BY n DESC, " +
                    "1, 2 LIMIT ?3";
  auto stmt = query(db_, sql, {since, domain, limit});
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<TopSenderRow> out;
  for (;;) {
    auto row = next_row(db_, stmt->get());
    if (!row) return tl::unexpected(row.error());
    if (!*row) return out;
    out.push_back(
        {column_text(stmt->get(), 0), column_text(stmt->get(), 1), column_int(stmt->get(), 2)});
  }
}

Result<std::vector<std::string>> StatsQueries::user_names(std::string_view domain) {
  auto stmt = query(
      db_, "SELECT u.name FROM users u JOIN domains d ON d.id = u.domain_id WHERE d.name = ?1",
      {domain});
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<std::string> out;
  for (;;) {
    auto row = next_row(db_, stmt->get());
    if (!row) return tl::unexpected(row.error());
    if (!*row) return out;
    out.push_back(column_text(stmt->get(), 0));
  }
}

}  // namespace pw::store
