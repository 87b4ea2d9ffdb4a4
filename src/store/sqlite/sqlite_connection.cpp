// SQLite behind store::Connection: open (WAL, busy timeout, foreign keys), statements with a
// bounded per-connection cache, and SQLite's errors turned into one-line messages.
#include "store/sqlite/sqlite_connection.hpp"

#include <sqlite3.h>

#include <mutex>
#include <unordered_map>

namespace pw::store::sqlite {
namespace {

// How long a statement waits for a lock held by another process (the CLI while `serve` runs, or
// the reverse) before failing with SQLITE_BUSY. Writes here are single short transactions, so ten
// seconds is only reached when a process is stuck; it is a property of the storage engine's
// locking, not an operator tunable.
constexpr int kBusyTimeoutMs = 10000;

std::string sqlite_error(sqlite3* db, std::string_view what) {
  return std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
}

// Prepared statements kept per connection, by SQL text; bounded, the extra ones finalized.
class StatementCache {
 public:
  StatementCache() = default;
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;
  ~StatementCache() {
    for (auto& [sql, stmt] : free_) sqlite3_finalize(stmt);
  }
  sqlite3_stmt* take(std::string_view sql) {
    std::lock_guard lock(mutex_);
    auto it = free_.find(std::string(sql));
    if (it == free_.end()) return nullptr;
    sqlite3_stmt* stmt = it->second;
    free_.erase(it);
    return stmt;
  }
  bool give(sqlite3_stmt* stmt) {
    std::lock_guard lock(mutex_);
    if (free_.size() >= kMaxCachedStatements) return false;
    free_.emplace(sqlite3_sql(stmt), stmt);
    return true;
  }

 private:
  static constexpr size_t kMaxCachedStatements = 64;
  std::mutex mutex_;
  std::unordered_multimap<std::string, sqlite3_stmt*> free_;
};

class SqliteStatement final : public Statement {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt, std::weak_ptr<StatementCache> cache)
      : db_(db), stmt_(stmt), cache_(std::move(cache)) {}
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  // Hands the statement back to its connection's cache for the next use, or finalizes it.
  ~SqliteStatement() override {
    if (auto owner = cache_.lock()) {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
      if (owner->give(stmt_)) return;
    }
    sqlite3_finalize(stmt_);
  }

  Result<void> bind(int index, const SqlValue& value) override {
    int rc = SQLITE_OK;
    if (std::holds_alternative<std::nullptr_t>(value)) {
      rc = sqlite3_bind_null(stmt_, index);
    } else if (const auto* number = std::get_if<int64_t>(&value)) {
      rc = sqlite3_bind_int64(stmt_, index, *number);
    } else {
      auto text = std::get<std::string_view>(value);
      rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT,
                               SQLITE_UTF8);
    }
    if (rc != SQLITE_OK) return fail(sqlite_error(db_, "database error"));
    return {};
  }
  Result<bool> step() override {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return fail(sqlite_error(db_, "database error"));
  }
  int64_t column_int(int column) const override { return sqlite3_column_int64(stmt_, column); }
  double column_double(int column) const override { return sqlite3_column_double(stmt_, column); }
  std::string column_text(int column) const override {
    const auto* text = sqlite3_column_text(stmt_, column);
    if (text == nullptr) return {};
    return {reinterpret_cast<const char*>(text),
            static_cast<size_t>(sqlite3_column_bytes(stmt_, column))};
  }
  bool column_is_null(int column) const override {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  std::weak_ptr<StatementCache> cache_;
};

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}

  Result<void> exec(std::string_view sql) override {
    std::string text(sql);
    char* message = nullptr;
    int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &message);
    if (rc == SQLITE_OK) return {};
    std::string error = message ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    return fail("database error: " + error);
  }
  Result<StatementPtr> prepare(std::string_view sql, bool reuse) override {
    if (reuse) {
      if (!cache_) cache_ = std::make_shared<StatementCache>();
      if (sqlite3_stmt* cached = cache_->take(sql)) {
        return std::make_unique<SqliteStatement>(db_.get(), cached, cache_);
      }
    }
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(raw);
      return fail(sqlite_error(db_.get(), "database error"));
    }
    std::weak_ptr<StatementCache> cache;
    if (reuse) cache = cache_;
    return std::make_unique<SqliteStatement>(db_.get(), raw, std::move(cache));
  }
  int64_t changes() override { return sqlite3_changes64(db_.get()); }
  int64_t last_insert_id() override { return sqlite3_last_insert_rowid(db_.get()); }
  // IMMEDIATE takes the write lock now, so two writers wait on the busy timeout instead of one
  // failing at its first write with a deadlock error.
  Result<void> begin_transaction() override { return exec("BEGIN IMMEDIATE"); }
  std::string_view engine() const override { return "sqlite"; }
  Result<void> lock_schema() override { return {}; }  // BEGIN IMMEDIATE holds the write lock

 private:
  std::unique_ptr<sqlite3, SqliteCloser> db_;
  std::shared_ptr<StatementCache> cache_;  // after db_: its statements go before the close
};

// Readers never block the writer and the writer never blocks readers: serve and the CLI share
// the file. NORMAL is durable across application crashes and, in WAL mode, consistent across
// power loss.
Result<void> apply_pragmas(Connection& db) {
  std::string journal;
  {
    auto mode = db.prepare("PRAGMA journal_mode=WAL", false);
    if (!mode) return tl::unexpected(mode.error());
    auto row = (*mode)->step();
    if (!row) return tl::unexpected(row.error());
    if (*row) journal = (*mode)->column_text(0);
  }
  if (journal != "wal" && journal != "memory") {
    return fail("cannot switch the database to WAL mode (journal_mode is " + journal + ")");
  }
  if (auto r = db.exec("PRAGMA synchronous=NORMAL"); !r) return r;
  return db.exec("PRAGMA foreign_keys=ON");
}

}  // namespace

Result<std::unique_ptr<Connection>> open(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  // Owned even when opening failed: sqlite3_open_v2 may still allocate the handle.
  auto connection = std::make_unique<SqliteConnection>(raw);
  if (rc != SQLITE_OK) return fail(sqlite_error(raw, "cannot open database " + path));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  if (auto r = apply_pragmas(*connection); !r) return fail(path + ": " + r.error().message);
  return std::unique_ptr<Connection>(std::move(connection));
}

}  // namespace pw::store::sqlite
