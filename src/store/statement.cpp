// Running prepared statements for the repositories: bind, step, read, on any backend.
#include "store/statement.hpp"

#include <chrono>

namespace pw::store {

Result<StatementPtr> query(Database& db, std::string_view sql,
                           std::initializer_list<SqlValue> params) {
  return query(db, sql, std::span<const SqlValue>(params.begin(), params.size()));
}

Result<StatementPtr> query(Database& db, std::string_view sql, std::span<const SqlValue> params) {
  auto stmt = db.prepare_cached(sql);
  if (!stmt) return stmt;
  int index = 1;
  for (const auto& value : params) {
    if (auto bound = (*stmt)->bind(index++, value); !bound) return tl::unexpected(bound.error());
  }
  return stmt;
}

Result<bool> next_row(Database& /*db*/, Statement* stmt) { return stmt->step(); }

Result<int64_t> run(Database& db, std::string_view sql, std::initializer_list<SqlValue> params) {
  auto stmt = query(db, sql, params);
  if (!stmt) return tl::unexpected(stmt.error());
  while (true) {
    auto row = (*stmt)->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
  }
  return db.connection().changes();
}

int64_t last_insert_id(Database& db) { return db.connection().last_insert_id(); }

std::string like_contains(std::string_view text) {
  std::string out = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('%');
  return out;
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace pw::store
