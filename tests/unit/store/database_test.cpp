// Opening the node database: pragmas, migrations applied once, refusal of a newer schema, nested
// transactions, and the config generation that servers poll.
#include "store/database.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "engine_database.hpp"
#include "store/migrations.hpp"
#include "store/node_database.hpp"
#include "store/statement.hpp"
#include "temp_dir.hpp"

namespace pw::store {
namespace {

using test::scalar;

std::string text_scalar(Database& db, std::string_view sql) {
  auto stmt = query(db, sql).value();
  EXPECT_TRUE(next_row(db, stmt.get()).value()) << sql;
  return column_text(stmt.get(), 0);
}

TEST(Database, OpensInWalModeWithForeignKeys) {
  test::TempDir dir;
  auto db = Database::open(dir.file("postwarden.db"));
  ASSERT_TRUE(db) << db.error().message;
  EXPECT_EQ(text_scalar(*db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(scalar(*db, "PRAGMA foreign_keys"), 1);
  EXPECT_EQ(scalar(*db, "PRAGMA synchronous"), 1);  // NORMAL
  EXPECT_EQ(scalar(*db, "PRAGMA busy_timeout"), 10000);
}

TEST(Database, MigrationListIsStrictlyIncreasingFromOne) {
  int previous = 0;
  for (const auto& migration : migrations()) {
    EXPECT_EQ(migration.version, previous + 1);
    previous = migration.version;
  }
  EXPECT_GE(previous, 1);
}

TEST(Database, AppliesEveryMigrationOnceAndIsIdempotentOnReopen) {
  test::TempDir dir;
  auto newest = migrations().back().version;
  {
    auto db = Database::open(dir.file("postwarden.db")).value();
    EXPECT_EQ(db.schema_version(), newest);
    EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM schema_migrations"), newest);
    ASSERT_TRUE(db.exec("INSERT INTO domains(name, created_at) VALUES ('example.com', 1)"));
  }
  auto reopened = Database::open(dir.file("postwarden.db"));
  ASSERT_TRUE(reopened) << reopened.error().message;
  EXPECT_EQ(reopened->schema_version(), newest);
  EXPECT_EQ(scalar(*reopened, "SELECT COUNT(*) FROM schema_migrations"), newest);
  EXPECT_EQ(scalar(*reopened, "SELECT COUNT(*) FROM domains"), 1);
}

TEST(Database, CreatesTheTenancyTables) {
  test::TempDir dir;
  auto db = Database::open(dir.file("postwarden.db")).value();
  for (std::string_view table : {"meta", "domains", "users", "user_settings"}) {
    auto stmt =
        query(db, "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1", {table})
            .value();
    ASSERT_TRUE(next_row(db, stmt.get()).value());
    EXPECT_EQ(column_int(stmt.get(), 0), 1) << table;
  }
  EXPECT_FALSE(
      db.exec("INSERT INTO users(domain_id, kind, name, created_at, updated_at) "
              "VALUES (999, 'ip', '192.0.2.1/32', 1, 1)"))
      << "a user without its domain must violate the foreign key";
}

TEST(Database, RefusesADatabaseFromANewerRelease) {
  test::TempDir dir;
  {
    auto db = Database::open(dir.file("postwarden.db")).value();
    ASSERT_TRUE(db.exec("INSERT INTO schema_migrations(version, applied_at) VALUES (9999, 1)"));
  }
  auto reopened = Database::open(dir.file("postwarden.db"));
  ASSERT_FALSE(reopened);
  EXPECT_NE(reopened.error().message.find("schema version 9999"), std::string::npos)
      << reopened.error().message;
  EXPECT_NE(reopened.error().message.find("upgrade postwarden"), std::string::npos);
}

TEST(Database, ReportsAnUnopenableFile) {
  test::TempDir dir;
  auto db = Database::open(dir.file("missing/dir/postwarden.db"));
  ASSERT_FALSE(db);
  EXPECT_NE(db.error().message.find("cannot open database"), std::string::npos);
}

TEST(Database, ConfigGenerationCountsChanges) {
  test::TempDir dir;
  auto db = Database::open(dir.file("postwarden.db")).value();
  EXPECT_EQ(db.config_generation().value(), 0);
  ASSERT_TRUE(db.exec("INSERT INTO domains(name, created_at) VALUES ('example.com', 1)"));
  EXPECT_EQ(db.config_generation().value(), 1);
  ASSERT_TRUE(db.exec("UPDATE domains SET dkim_selector = 's1'"));
  EXPECT_EQ(db.config_generation().value(), 2);
  ASSERT_TRUE(db.exec("DELETE FROM domains"));
  EXPECT_EQ(db.config_generation().value(), 3);
}

TEST(Database, TransactionRollsBackWhenTheWorkFails) {
  test::TempDir dir;
  auto db = Database::open(dir.file("postwarden.db")).value();
  auto result = db.transaction([&]() -> Result<void> {
    if (auto r = db.exec("INSERT INTO domains(name, created_at) VALUES ('example.com', 1)"); !r) {
      return r;
    }
    return fail("changed my mind");
  });
  EXPECT_FALSE(result);
  EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM domains"), 0);
  EXPECT_EQ(db.config_generation().value(), 0);
}

TEST(Database, NestedTransactionRollsBackOnlyItsOwnWork) {
  test::TempDir dir;
  auto db = Database::open(dir.file("postwarden.db")).value();
  auto outer = db.transaction([&]() -> Result<void> {
    if (auto r = db.exec("INSERT INTO domains(name, created_at) VALUES ('a.example', 1)"); !r) {
      return r;
    }
    auto inner = db.transaction([&]() -> Result<void> {
      if (auto r = db.exec("INSERT INTO domains(name, created_at) VALUES ('b.example', 1)"); !r) {
        return r;
      }
      return fail("inner fails");
    });
    EXPECT_FALSE(inner);
    return {};
  });
  ASSERT_TRUE(outer) << outer.error().message;
  EXPECT_EQ(text_scalar(db, "SELECT group_concat(name) FROM domains"), "a.example");
  // The connection is out of every transaction: a new one can begin.
  EXPECT_TRUE(db.transaction([]() -> Result<void> { return {}; }));
}

TEST(Database, TwoConnectionsSeeEachOthersChanges) {
  test::TempDir dir;
  auto first = Database::open(dir.file("postwarden.db")).value();
  auto second = Database::open(dir.file("postwarden.db")).value();
  ASSERT_TRUE(first.exec("INSERT INTO domains(name, created_at) VALUES ('example.com', 1)"));
  EXPECT_EQ(second.config_generation().value(), 1);
}

TEST(NodeDatabase, CreatesTheDataDirectoryPrivate) {
  test::TempDir dir;
  auto data_dir = dir.file("node/data");
  auto db = open_node_database(data_dir);
  ASSERT_TRUE(db) << db.error().message;
  struct stat info {};
  ASSERT_EQ(stat(data_dir.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "node/data/postwarden.db"));
}

TEST(NodeDatabase, RefusesAnEmptyDataDirectory) {
  auto db = open_node_database("");
  ASSERT_FALSE(db);
  EXPECT_NE(db.error().message.find("--data-dir"), std::string::npos);
}

}  // namespace
}  // namespace pw::store
