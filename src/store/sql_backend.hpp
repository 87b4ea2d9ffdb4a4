// The seam a database backend implements: a connection that runs SQL text, and statements whose
// parameters are bound by position (?1, ?2, ...) and whose rows are read by column. The
// repositories reach their database only through this, so a second backend (PostgreSQL for a
// cluster, issue 18) is one more implementation of these three classes; SQLite is the first
// (store/sqlite/). The SQL the repositories send is the subset both engines speak; the few places
// that still use an SQLite spelling are listed in scripts/sql_dialect_exceptions.txt.
// Trust: SQL is never built from input; every value is bound as a parameter.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "util/result.hpp"

namespace pw::store {

using SqlValue = std::variant<std::nullptr_t, int64_t, std::string_view>;

// The current row of a running statement.
class Row {
 public:
  virtual ~Row() = default;
  virtual int64_t column_int(int column) const = 0;
  virtual double column_double(int column) const = 0;
  virtual std::string column_text(int column) const = 0;  // "" for NULL
  virtual bool column_is_null(int column) const = 0;
};

class Statement : public Row {
 public:
  // Binds ?index (from 1). Text is copied, so a view of a temporary may be passed.
  virtual Result<void> bind(int index, const SqlValue& value) = 0;
  // Runs to the next row: true when one is ready to read, false when the statement is done.
  virtual Result<bool> step() = 0;
};
using StatementPtr = std::unique_ptr<Statement>;

class Connection {
 public:
  virtual ~Connection() = default;
  // Statements without parameters or results (schema changes, transaction control).
  virtual Result<void> exec(std::string_view sql) = 0;
  // `reuse`: the statement may come from, and goes back to, a per-connection cache; for the
  // statements run thousands of times a second, where preparing costs more than running.
  virtual Result<StatementPtr> prepare(std::string_view sql, bool reuse) = 0;
  virtual int64_t changes() = 0;         // rows changed by the last finished statement
  virtual int64_t last_insert_id() = 0;  // the key the last INSERT gave its row
  // Starts the outermost transaction, taking the write lock at once where the engine allows it
  // (nested transactions are savepoints, standard SQL, run by Database).
  virtual Result<void> begin_transaction() = 0;
  // "sqlite" or "postgresql": which migrations (store/migrations.cpp or store/postgres/) and
  // which of the few engine-specific spellings (scripts/sql_dialect.txt) apply.
  virtual std::string_view engine() const = 0;
  // Inside the transaction that applies a migration: holds off every other process applying it
  // until that transaction ends (SQLite's BEGIN IMMEDIATE already does; PostgreSQL takes an
  // advisory lock, as several nodes may start at once on one database).
  virtual Result<void> lock_schema() = 0;
};

}  // namespace pw::store
