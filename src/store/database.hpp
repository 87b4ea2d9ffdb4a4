// The database of a node: a backend connection, versioned migrations, nested transactions, and a
// change counter that tells running servers when senders or domains changed.
// Trust: SQL is never built from input; every value is bound as a parameter.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "store/sql_backend.hpp"
#include "util/result.hpp"

namespace pw::store {

// A node's database as the repositories see it: a backend connection (SQLite by default, see
// sql_backend.hpp) with its schema migrated, and transactions that nest.
class Database {
 public:
  // Opens (creating when missing) the SQLite file, or connects to PostgreSQL when `location` is a
  // postgresql:// URL (issue 18), and migrates it to the newest schema version.
  static Result<Database> open(const std::string& location);
  // Takes a connection of any backend, already at the current schema.
  explicit Database(std::unique_ptr<Connection> connection);

  Result<void> exec(std::string_view sql) { return connection_->exec(sql); }
  Result<StatementPtr> prepare(std::string_view sql) { return connection_->prepare(sql, false); }
  // The same, reusing a statement prepared earlier for the same text: the message log runs the
  // same few statements thousands of times a second, and preparing them costs more than running.
  Result<StatementPtr> prepare_cached(std::string_view sql) {
    return connection_->prepare(sql, true);
  }
  Connection& connection() { return *connection_; }

  int schema_version();
  // Bumped by triggers on every change to domains, users and their settings.
  Result<int64_t> config_generation();

  // Runs fn inside a transaction (BEGIN ... COMMIT, ROLLBACK when fn fails). Nests: inside another
  // transaction it runs in a savepoint, so repositories compose into one atomic change.
  template <class Fn>
  auto transaction(Fn&& fn) -> decltype(fn());

 private:
  std::unique_ptr<Connection> connection_;
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
