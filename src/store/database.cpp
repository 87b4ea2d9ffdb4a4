// Opening the node database and bringing its schema up to date; transactions that nest.
// Trust: the file may have been written by a newer postwarden; such a schema is refused, not used.
#include "store/database.hpp"

#include "store/migrations.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/postgres/pg_schema.hpp"
#include "store/sqlite/sqlite_connection.hpp"
#include "store/statement.hpp"

namespace pw::store {
namespace {

Result<int> applied_version(Database& db) {
  auto stmt = query(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = next_row(db, stmt->get());
  if (!row) return tl::unexpected(row.error());
  return static_cast<int>(column_int(stmt->get(), 0));
}

bool is_postgres_url(std::string_view location) {
  return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

Result<void> apply(Database& db, const Migration& migration) {
  return db.transaction([&]() -> Result<void> {
    if (auto locked = db.connection().lock_schema(); !locked) return locked;
    // Another process may have applied it while this one waited for the lock.
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
}

Result<void> migrate(Database& db) {
  constexpr std::string_view kCreate =
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      "version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)";
  // PostgreSQL: nodes starting at once would race to create it, so under the schema lock. SQLite
  // as before: no write transaction when the table is there (every CLI command opens the file).
  auto made = db.connection().engine() == "sqlite"
                  ? db.exec(kCreate)
                  : db.transaction([&]() -> Result<void> {
                      if (auto locked = db.connection().lock_schema(); !locked) return locked;
                      return db.exec(kCreate);
                    });
  if (!made) return made;
  auto known = db.connection().engine() == "postgresql" ? postgres::migrations() : migrations();
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
    if (auto applied = apply(db, migration); !applied) return applied;
  }
  return {};
}

}  // namespace

Database::Database(std::unique_ptr<Connection> connection) : connection_(std::move(connection)) {}

Result<Database> Database::open(const std::string& location) {
  const bool shared = is_postgres_url(location);
  auto connection = shared ? postgres::open(location) : sqlite::open(location);
  if (!connection) return tl::unexpected(connection.error());
  Database db(std::move(*connection));
  // A URL may hold a password: errors name the engine, never the URL.
  if (auto r = migrate(db); !r)
    return fail((shared ? std::string("PostgreSQL") : location) + ": " + r.error().message);
  return db;
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
  auto begun =
      transaction_depth_ == 0 ? connection_->begin_transaction() : exec("SAVEPOINT pw_nested");
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
