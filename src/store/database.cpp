// Opening the node database (WAL, busy timeout, foreign keys) and bringing its schema up to date.
// Trust: the file may have been written by a newer postwarden; such a schema is refused, not used.
#include "store/database.hpp"

#include <sqlite3.h>

#include <mutex>
#include <unordered_map>

#include "store/migrations.hpp"
#include "store/statement.hpp"

namespace pw::store {
namespace {

// How long a statement waits for a lock held by another process (the CLI while `serve` runs, or
// the reverse) before failing with SQLITE_BUSY. Writes here are single short transactions, so ten
// seconds is only reached when a process is stuck; it is a property of the storage engine's
// locking, not an operator tunable.
constexpr int kBusyTimeoutMs = 10000;

std::string sqlite_error(sqlite3* db, std::string_view what) {
  return std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
}

Result<void> apply_pragmas(Database& db) {
  // Readers never block the writer and the writer never blocks readers: serve and the CLI share
  // the file. NORMAL is durable across application crashes and, in WAL mode, consistent across
  // power loss.
  auto mode = query(db, "PRAGMA journal_mode=WAL");
  if (!mode) return tl::unexpected(mode.error());
  auto row = next_row(db, mode->get());
  if (!row) return tl::unexpected(row.error());
  auto journal = *row ? column_text(mode->get(), 0) : std::string();
  if (journal != "wal" && journal != "memory") {
    return fail("cannot switch the database to WAL mode (journal_mode is " + journal + ")");
  }
  mode->reset();
  if (auto r = db.exec("PRAGMA synchronous=NORMAL"); !r) return r;
  return db.exec("PRAGMA foreign_keys=ON");
}

Result<int> applied_version(Database& db) {
  auto stmt = query(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = next_row(db, stmt->get());
  if (!row) return tl::unexpected(row.error());
  return static_cast<int>(column_int(stmt->get(), 0));
}

Result<void> migrate(Database& db) {
  if (auto r = db.exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                       "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
      !r) {
    return r;
  }
  auto known = migrations();
  int newest = known.empty() ? 0 : known.back().version;
  auto current = applied_version(db);
  if (!current) return tl::unexpected(current.error());
  if (*current > newest) {
    return fail("the database has schema version " + std::to_string(*current) +
                " but this postwarden knows only up to version " + std::to_string(newest) +
                "; it was written by a newer release: upgrade postwarden");
  }
  for (const auto& migration : known) {
    if (migration.version <= *current) continue;
    auto applied = db.transaction([&]() -> Result<void> {
      // Another process may have applied it while this one waited for the write lock.
      auto now_current = applied_version(db);
      if (!now_current) return tl::unexpected(now_current.error());
      if (*now_current >= migration.version) return {};
      if (auto r = db.exec(migration.sql); !r) {
        return fail("schema migration " + std::to_string(migration.version) +
                    " failed: " + r.error().message);
      }
      auto recorded = run(db, "INSERT INTO schema_migrations(version, applied_at) VALUES (?1, ?2)",
                          {int64_t{migration.version}, unix_now()});
      if (!recorded) return tl::unexpected(recorded.error());
      return {};
    });
    if (!applied) return applied;
  }
  return {};
}

}  // namespace

void SqliteCloser::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

// Prepared statements kept per connection, by SQL text; bounded, the extra ones finalized.
class StatementCache {
 public:
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

void StatementFinalizer::operator()(sqlite3_stmt* stmt) const {
  if (auto owner = cache.lock()) {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (owner->give(stmt)) return;
  }
  sqlite3_finalize(stmt);
}

Result<Database> Database::open(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  Database db;
  db.db_.reset(raw);  // owned even when opening failed: sqlite3_open_v2 may still allocate it
  if (rc != SQLITE_OK) return fail(sqlite_error(raw, "cannot open database " + path));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  if (auto r = apply_pragmas(db); !r) return fail(path + ": " + r.error().message);
  if (auto r = migrate(db); !r) return fail(path + ": " + r.error().message);
  return db;
}

Result<void> Database::exec(std::string_view sql) {
  std::string text(sql);
  char* message = nullptr;
  int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return {};
  std::string error = message ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return fail("database error: " + error);
}

Result<StatementPtr> Database::prepare(std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
  StatementPtr stmt(raw);
  if (rc != SQLITE_OK) return fail(sqlite_error(db_.get(), "database error"));
  return stmt;
}

Result<StatementPtr> Database::prepare_cached(std::string_view sql) {
  if (!cache_) cache_ = std::make_shared<StatementCache>();
  if (sqlite3_stmt* cached = cache_->take(sql)) return StatementPtr(cached, {cache_});
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
  StatementPtr stmt(raw, {cache_});
  if (rc != SQLITE_OK) {
    stmt.get_deleter().cache.reset();
    return fail(sqlite_error(db_.get(), "database error"));
  }
  return stmt;
}

int Database::schema_version() {
  auto version = applied_version(*this);
  return version ? *version : 0;
}

Result<int64_t> Database::config_generation() {
  auto stmt = query(*this, "SELECT value FROM meta WHERE key = 'config_generation'");
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = next_row(*this, stmt->get());
  if (!row) return tl::unexpected(row.error());
  if (!*row) return fail("database has no config_generation row");
  return column_int(stmt->get(), 0);
}

Result<void> Database::begin() {
  auto begun = exec(transaction_depth_ == 0 ? "BEGIN IMMEDIATE" : "SAVEPOINT pw_nested");
  if (begun) ++transaction_depth_;
  return begun;
}

Result<void> Database::commit() {
  if (transaction_depth_ > 1) {
    --transaction_depth_;
    return exec("RELEASE pw_nested");  // releases the innermost savepoint of that name
  }
  auto committed = exec("COMMIT");
  if (!committed) (void)exec("ROLLBACK");  // never leave the connection inside a transaction
  transaction_depth_ = 0;
  return committed;
}

void Database::rollback() {
  if (transaction_depth_ > 1) {
    (void)exec("ROLLBACK TO pw_nested");
    (void)exec("RELEASE pw_nested");
    --transaction_depth_;
    return;
  }
  (void)exec("ROLLBACK");
  transaction_depth_ = 0;
}

}  // namespace pw::store
