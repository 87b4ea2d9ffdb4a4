// Running prepared statements with bound parameters and reading their columns: the repositories'
// only way to talk SQL, so that no value is ever spliced into the text of a statement.
#pragma once
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include "store/database.hpp"
#include "util/result.hpp"

namespace pw::store {

// Prepares `sql` and binds `params` to ?1, ?2, ... in order.
Result<StatementPtr> query(Database& db, std::string_view sql,
                           std::initializer_list<SqlValue> params = {});
// The same for a parameter list built at run time (search filters).
Result<StatementPtr> query(Database& db, std::string_view sql, std::span<const SqlValue> params);
// Advances to the next row: true when there is one, false when done.
Result<bool> next_row(Database& db, Statement* stmt);
// Runs a statement that returns no rows; returns the number of rows it changed.
Result<int64_t> run(Database& db, std::string_view sql,
                    std::initializer_list<SqlValue> params = {});
int64_t last_insert_id(Database& db);

inline int64_t column_int(const Row* row, int column) { return row->column_int(column); }
inline double column_double(const Row* row, int column) { return row->column_double(column); }
inline std::string column_text(const Row* row, int column) {  // "" for NULL
  return row->column_text(column);
}
inline bool column_is_null(const Row* row, int column) { return row->column_is_null(column); }

// Hands each row of a prepared statement to `read` (which reads its columns); the first error
// of the statement, or of preparing it, is the result.
template <typename Read>
Result<void> for_each_row(Database& db, const Result<StatementPtr>& stmt, Read&& read) {
  if (!stmt) return tl::unexpected(stmt.error());
  for (;;) {
    auto row = next_row(db, stmt->get());
    if (!row) return tl::unexpected(row.error());
    if (!*row) return {};
    read(stmt->get());
  }
}

// A LIKE pattern for "contains `text`", LIKE's own wildcards escaped: use it with ESCAPE '\'.
std::string like_contains(std::string_view text);

// Seconds since the epoch, the unit of every *_at column.
int64_t unix_now();

}  // namespace pw::store
