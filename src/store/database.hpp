// The embedded SQLite database of a node: open (WAL, busy timeout), versioned migrations, and a
// change counter that tells running servers when senders or domains changed.
// Trust: SQL is never built from input; every value is bound as a parameter.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "util/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace pw::store {

struct SqliteCloser {
  void operator()(sqlite3* db) const;
};
class StatementCache;
// Finalizes a statement, or hands it back to its connection's cache for the next use.
struct StatementFinalizer {
  std::weak_ptr<StatementCache> cache;
  void operator()(sqlite3_stmt* stmt) const;
};
using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

class Database {
 public:
  // Opens (creating when missing) and migrates to the newest schema version.
  static Result<Database> open(const std::string& path);

  Result<void> exec(std::string_view sql);  // statements without parameters or results
  Result<StatementPtr> prepare(std::string_view sql);
  // The same, reusing a statement prepared earlier for the same text: the message log runs the
  // same few statements thousands of times a second, and preparing them costs more than running.
  Result<StatementPtr> prepare_cached(std::string_view sql);
  sqlite3* handle() const { return db_.get(); }

  int schema_version();
  // Bumped by triggers on every change to domains, users and their settings.
  Result<int64_t> config_generation();

  // Runs fn inside BEGIN IMMEDIATE ... COMMIT (ROLLBACK when fn fails). Nests: inside another
  // transaction it runs in a savepoint, so repositories compose into one atomic change.
  template <class Fn>
  auto transaction(Fn&& fn) -> decltype(fn());

 private:
  std::unique_ptr<sqlite3, SqliteCloser> db_;
  std::shared_ptr<StatementCache> cache_;  // after db_: its statements go before the close
  int transaction_depth_ = 0;
  Result<void> begin();
  Result<void> commit();
  void rollback();
};

template <class Fn>
auto Database::transaction(Fn&& fn) -> decltype(fn()) {
  if (auto r = begin(); !r) return tl::unexpected(r.error());
  auto result = fn();
  if (!result) {
    rollback();
    return result;
  }
  if (auto r = commit(); !r) return tl::unexpected(r.error());
  return result;
}

}  // namespace pw::store
