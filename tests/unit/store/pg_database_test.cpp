// The node database on PostgreSQL (issue 18): store::Database::open takes a postgresql:// URL,
// brings an empty database to the schema SQLite has (one migration, version 16, with case-blind
// names and the config-generation triggers), is idempotent when opened again, lets several
// processes open it at once (the advisory lock), refuses a newer schema, and never names the URL
// (it may hold a password) in an error. Each test in a schema of its own on the server ctest
// starts.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "engine_database.hpp"
#include "pg_test_server.hpp"
#include "store/database.hpp"
#include "store/migrations.hpp"
#include "store/postgres/pg_schema.hpp"
#include "store/statement.hpp"

namespace pw::store {
namespace {

using test::scalar;

TEST(PostgresDatabase, TheSchemaIsSqlitesNewestAndTheListsEndAlike) {
  ASSERT_FALSE(postgres::migrations().empty());
  EXPECT_EQ(postgres::migrations().back().version, migrations().back().version)
      << "a migration added to store/migrations.cpp needs its PostgreSQL twin";
  int previous = 0;
  for (const auto& migration : postgres::migrations()) {
    EXPECT_GT(migration.version, previous);
    previous = migration.version;
  }
}

TEST(PostgresDatabase, MigratesAnEmptyDatabaseOnceAndReopens) {
  test::PostgresSchema schema;
  const int newest = migrations().back().version;
  {
    auto db = Database::open(schema.url());
    ASSERT_TRUE(db) << db.error().message;
    EXPECT_EQ(db->schema_version(), newest);
    EXPECT_EQ(scalar(*db, "SELECT COUNT(*) FROM schema_migrations"), 1);
    ASSERT_TRUE(db->exec("INSERT INTO domains(name, created_at) VALUES ('Example.com', 1)"));
  }
  auto reopened = Database::open(schema.url());
  ASSERT_TRUE(reopened) << reopened.error().message;
  EXPECT_EQ(reopened->schema_version(), newest);
  EXPECT_EQ(scalar(*reopened, "SELECT COUNT(*) FROM schema_migrations"), 1);
  // Names compare without case, as SQLite's COLLATE NOCASE columns do, and the repositories'
  // own "COLLATE NOCASE" means the same.
  EXPECT_EQ(scalar(*reopened, "SELECT COUNT(*) FROM domains WHERE name = 'EXAMPLE.COM'"), 1);
  EXPECT_EQ(scalar(*reopened,
                   "SELECT COUNT(*) FROM domains WHERE name = 'eXample.com' COLLATE "
                   "NOCASE"),
            1);
  EXPECT_FALSE(reopened->exec("INSERT INTO domains(name, created_at) VALUES ('example.COM', 2)"));
  EXPECT_FALSE(
      reopened->exec("INSERT INTO users(domain_id, kind, name, created_at, updated_at) "
                     "VALUES (999, 'ip', '192.0.2.1/32', 1, 1)"))
      << "a user without its domain must violate the foreign key";
}

TEST(PostgresDatabase, ConfigGenerationCountsChangesOfTheWatchedTables) {
  test::PostgresSchema schema;
  auto db = Database::open(schema.url()).value();
  const int64_t before = db.config_generation().value();
  ASSERT_TRUE(db.exec("INSERT INTO domains(name, created_at) VALUES ('a.example', 1)"));
  ASSERT_TRUE(db.exec("UPDATE domains SET route = 'mx.example:25'"));
  ASSERT_TRUE(db.exec("INSERT INTO node_settings(key, value, updated_at) VALUES ('k', 'v', 1)"));
  EXPECT_EQ(db.config_generation().value(), before + 3);
  ASSERT_TRUE(
      db.exec("INSERT INTO messages(id, received_at, client_ip, helo, tls, sender_kind, "
              "sender, user_domain, mail_from, sender_domain, size, status, updated_at) "
              "VALUES ('m', 1, '', '', 0, 'ip', 's', 'd', 'f', 'd', 1, 'queued', 1)"));
  EXPECT_EQ(db.config_generation().value(), before + 3) << "the message log is not configuration";
}

TEST(PostgresDatabase, SeveralProcessesMayOpenAnEmptyDatabaseAtOnce) {
  test::PostgresSchema schema;
  const std::string url = schema.url();
  std::vector<std::string> errors(4);
  std::vector<std::thread> nodes;
  for (auto& error : errors)
    nodes.emplace_back([&url, &error] {
      auto db = Database::open(url);
      if (!db) error = db.error().message;
    });
  for (auto& node : nodes) node.join();
  for (const auto& error : errors) EXPECT_EQ(error, "");
  auto db = Database::open(url).value();
  EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM schema_migrations"), 1);
}

TEST(PostgresDatabase, RefusesANewerSchemaAndNeverNamesTheUrl) {
  test::PostgresSchema schema;
  {
    auto db = Database::open(schema.url()).value();
    ASSERT_TRUE(db.exec("INSERT INTO schema_migrations(version, applied_at) VALUES (9999, 1)"));
  }
  auto reopened = Database::open(schema.url());
  ASSERT_FALSE(reopened);
  EXPECT_NE(reopened.error().message.find("schema version 9999"), std::string::npos);
  EXPECT_EQ(reopened.error().message.find(schema.name()), std::string::npos)
      << reopened.error().message;
  auto nowhere = Database::open("postgresql://pw:secret-word@/pw?host=/nonexistent-pw-socket");
  ASSERT_FALSE(nowhere);
  EXPECT_EQ(nowhere.error().message.find("secret-word"), std::string::npos)
      << nowhere.error().message;
}

}  // namespace
}  // namespace pw::store
