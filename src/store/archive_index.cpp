// The archive's rows (see the header).
#include "store/archive_index.hpp"

#include <deque>
#include <nlohmann/json.hpp>
#include <span>

#include "mail/name_syntax.hpp"
#include "store/statement.hpp"

namespace pw::store {
namespace {

constexpr std::string_view kColumns =
    "id, archived_at, domain, sender, mail_from, rcpt_to, subject, header_message_id, size, path";

ArchivedRow read_row(const Row* stmt) {
  ArchivedRow row;
  row.id = column_text(stmt, 0);
  row.archived_at = column_int(stmt, 1);
  row.domain = column_text(stmt, 2);
  row.sender = column_text(stmt, 3);
  row.mail_from = column_text(stmt, 4);
  auto rcpts = nlohmann::json::parse(column_text(stmt, 5), nullptr, false);
  if (rcpts.is_array())
    for (const auto& r : rcpts)
      if (r.is_string()) row.rcpt_to.push_back(r.get<std::string>());
  row.subject = column_text(stmt, 6);
  row.message_id = column_text(stmt, 7);
  row.size = static_cast<uint64_t>(column_int(stmt, 8));
  row.path = column_text(stmt, 9);
  return row;
}

// The WHERE clause of a filter, its values bound, never spliced.
class FilterQuery {
 public:
  Result<void> build(const ArchiveFilter& f) {
    auto domain = mail::canonical_domain_name(f.domain);
    if (!domain) return fail("archive domain: " + domain.error().message);
    sql_ = "SELECT " + std::string(kColumns) + " FROM archive WHERE domain = ?" + bind(*domain);
    if (f.sender) {
      std::string p = bind(*f.sender);
      sql_ += " AND (mail_from = ?" + p + " COLLATE NOCASE OR sender = ?" + p + " COLLATE NOCASE)";
    }
    if (f.recipient)
      sql_ +=
          " AND EXISTS (SELECT 1 FROM json_each(archive.rcpt_to) WHERE lower(value) LIKE lower(?" +
          bind(like_contains(*f.recipient)) + ") ESCAPE '\\')";
    if (f.subject)
      sql_ +=
          " AND lower(subject) LIKE lower(?" + bind(like_contains(*f.subject)) + ") ESCAPE '\\'";
    if (f.since) sql_ += " AND archived_at >= ?" + bind(*f.since);
    if (f.until) sql_ += " AND archived_at < ?" + bind(*f.until);
    return {};
  }
  std::string bind(const std::string& text) {
    texts_.push_back(text);
    params_.emplace_back(std::string_view(texts_.back()));
    return std::to_string(params_.size());
  }
  std::string bind(int64_t value) {
    params_.emplace_back(value);
    return std::to_string(params_.size());
  }
  std::string& sql() { return sql_; }
  std::span<const SqlValue> params() const { return params_; }

 private:
  std::string sql_;
  std::deque<std::string> texts_;  // owns the bound strings; a deque never moves them
  std::vector<SqlValue> params_;
};

Result<std::vector<ArchivedRow>> collect(Database& db, FilterQuery& q) {
  auto stmt = query(db, q.sql(), q.params());
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<ArchivedRow> rows;
  for (;;) {
    auto more = next_row(db, stmt->get());
    if (!more) return tl::unexpected(more.error());
    if (!*more) break;
    rows.push_back(read_row(stmt->get()));
  }
  return rows;
}

}  // namespace

Result<void> ArchiveIndex::insert(const ArchivedRow& row) {
  std::string rcpts = nlohmann::json(row.rcpt_to).dump();
  auto inserted = run(db_,
                      "INSERT INTO archive (id, archived_at, domain, sender, mail_from, rcpt_to, "
                      "subject, header_message_id, size, path) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                      "?8, ?9, ?10)",
                      {row.id, row.archived_at, row.domain, row.sender, row.mail_from, rcpts,
                       row.subject, row.message_id, static_cast<int64_t>(row.size), row.path});
  if (!inserted) return tl::unexpected(inserted.error());
  return {};
}

Result<std::vector<ArchivedRow>> ArchiveIndex::search(const ArchiveFilter& filter) {
  FilterQuery q;
  if (auto r = q.build(filter); !r) return tl::unexpected(r.error());
  if (filter.before) {
    std::string t = q.bind(filter.before->first);
    q.sql() += " AND (archived_at < ?" + t + " OR (archived_at = ?" + t + " AND id < ?" +
               q.bind(filter.before->second) + "))";
  }
  q.sql() += " ORDER BY archived_at DESC, id DESC LIMIT ?" + q.bind(filter.limit);
  q.sql() += " OFFSET ?" + q.bind(filter.offset);
  return collect(db_, q);
}

Result<std::optional<ArchivedRow>> ArchiveIndex::find(std::string_view id) {
  auto stmt = query(db_, "SELECT " + std::string(kColumns) + " FROM archive WHERE id = ?1", {id});
  if (!stmt) return tl::unexpected(stmt.error());
  auto more = next_row(db_, stmt->get());
  if (!more) return tl::unexpected(more.error());
  if (!*more) return std::optional<ArchivedRow>();
  return std::optional<ArchivedRow>(read_row(stmt->get()));
}

Result<std::vector<ArchivedRow>> ArchiveIndex::oldest_after(
    const ArchiveFilter& filter, const std::optional<std::pair<int64_t, std::string>>& after,
    int64_t limit) {
  FilterQuery q;
  if (auto r = q.build(filter); !r) return tl::unexpected(r.error());
  if (after) {
    std::string t = q.bind(after->first);
    q.sql() += " AND (archived_at > ?" + t + " OR (archived_at = ?" + t + " AND id > ?" +
               q.bind(after->second) + "))";
  }
  q.sql() += " ORDER BY archived_at, id LIMIT ?" + q.bind(limit);
  return collect(db_, q);
}

Result<std::vector<std::pair<std::string, std::string>>> ArchiveIndex::older_than(
    std::string_view domain, int64_t older_than, int64_t limit) {
  auto stmt = query(db_,
                    "SELECT id, path FROM archive WHERE domain = ?1 AND archived_at < ?2 ORDER "
                    "BY archived_at, id LIMIT ?3",
                    {domain, older_than, limit});
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<std::pair<std::string, std::string>> out;
  for (;;) {
    auto more = next_row(db_, stmt->get());
    if (!more) return tl::unexpected(more.error());
    if (!*more) return out;
    out.emplace_back(column_text(stmt->get(), 0), column_text(stmt->get(), 1));
  }
}

Result<void> ArchiveIndex::remove(const std::vector<std::pair<std::string, std::string>>& rows) {
  return db_.transaction([&]() -> Result<void> {
    for (const auto& entry : rows)
      if (auto r = run(db_, "DELETE FROM archive WHERE id = ?1", {entry.first}); !r)
        return tl::unexpected(r.error());
    return {};
  });
}

}  // namespace pw::store
