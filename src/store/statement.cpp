// Prepared statements for the repositories: bind, step, read. Text is bound as a copy
// (SQLITE_TRANSIENT), so callers may pass views of temporaries.
#include "store/statement.hpp"

#include <sqlite3.h>

#include <chrono>

namespace pw::store {
namespace {

Result<void> bind_value(Database& db, sqlite3_stmt* stmt, int index, const SqlValue& value) {
  int rc = SQLITE_OK;
  if (std::holds_alternative<std::nullptr_t>(value)) {
    rc = sqlite3_bind_null(stmt, index);
  } else if (auto* number = std::get_if<int64_t>(&value)) {
    rc = sqlite3_bind_int64(stmt, index, *number);
  } else {
    auto text = std::get<std::string_view>(value);
    rc = sqlite3_bind_text64(stmt, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  }
  if (rc != SQLITE_OK) return fail(std::string("database error: ") + sqlite3_errmsg(db.handle()));
  return {};
}

}  // namespace

Result<StatementPtr> query(Database& db, std::string_view sql,
                           std::initializer_list<SqlValue> params) {
  return query(db, sql, std::span<const SqlValue>(params.begin(), params.size()));
}

Result<StatementPtr> query(Database& db, std::string_view sql, std::span<const SqlValue> params) {
  auto stmt = db.prepare_cached(sql);
  if (!stmt) return stmt;
  int index = 1;
  for (const auto& value : params) {
    if (auto bound = bind_value(db, stmt->get(), index++, value); !bound) {
      return tl::unexpected(bound.error());
    }
  }
  return stmt;
}

Result<bool> next_row(Database& db, sqlite3_stmt* stmt) {
  int rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return fail(std::string("database error: ") + sqlite3_errmsg(db.handle()));
}

Result<int64_t> run(Database& db, std::string_view sql, std::initializer_list<SqlValue> params) {
  auto stmt = query(db, sql, params);
  if (!stmt) return tl::unexpected(stmt.error());
  while (true) {
    auto row = next_row(db, stmt->get());
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
  }
  return static_cast<int64_t>(sqlite3_changes64(db.handle()));
}

int64_t last_insert_id(Database& db) { return sqlite3_last_insert_rowid(db.handle()); }

int64_t column_int(sqlite3_stmt* stmt, int column) { return sqlite3_column_int64(stmt, column); }

std::string column_text(sqlite3_stmt* stmt, int column) {
  const auto* text = sqlite3_column_text(stmt, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt, column)));
}

bool column_is_null(sqlite3_stmt* stmt, int column) {
  return sqlite3_column_type(stmt, column) == SQLITE_NULL;
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace pw::store
