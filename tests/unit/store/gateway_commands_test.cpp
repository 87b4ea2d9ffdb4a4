// The one table of commands the CLI leaves for a running gateway (issue 16, item 2): each kind
// added and answered once, pending ones handed out by kind and in order, and the pending rows of
// the two tables it replaces carried over by the migration.
#include "store/gateway_commands.hpp"

#include <gtest/gtest.h>

#include "engine_database.hpp"
#include "store/migrations.hpp"
#include "store/sqlite/sqlite_connection.hpp"
#include "store/statement.hpp"
#include "temp_dir.hpp"

namespace pw::store {
namespace {

class GatewayCommandsTest : public testing::TestWithParam<const char*> {
 protected:
  test::EngineDatabase where_{GetParam()};
  Database db_ = where_.open();
  GatewayCommands commands_{db_};
};

TEST_P(GatewayCommandsTest, EachCommandIsPendingUntilAnsweredOnce) {
  auto flush = commands_.add(CommandKind::kFlush, "", "cli", 100).value();
  auto release = commands_.add(CommandKind::kRelease, "Q1", "cli", 101).value();
  auto remove = commands_.add(CommandKind::kDelete, "ABC123", "cli", 102).value();
  EXPECT_FALSE(commands_.state(flush).value()->done);

  auto queue = commands_.pending({CommandKind::kFlush, CommandKind::kDelete}, 10).value();
  ASSERT_EQ(queue.size(), 2u);  // oldest first, the release is not the queue's
  EXPECT_EQ(queue[0].id, flush);
  EXPECT_EQ(queue[0].kind, CommandKind::kFlush);
  EXPECT_EQ(queue[1].kind, CommandKind::kDelete);
  EXPECT_EQ(queue[1].target, "ABC123");
  auto releases = commands_.pending({CommandKind::kRelease}, 10).value();
  ASSERT_EQ(releases.size(), 1u);
  EXPECT_EQ(releases[0].id, release);
  EXPECT_EQ(releases[0].requested_by, "cli");
  EXPECT_EQ(commands_.pending({CommandKind::kFlush, CommandKind::kDelete}, 1).value().size(), 1u);

  ASSERT_TRUE(commands_.complete(flush, 200, "flushed 0 recipient(s)"));
  auto state = commands_.state(flush).value();
  ASSERT_TRUE(state);
  EXPECT_TRUE(state->done);
  EXPECT_EQ(state->result, "flushed 0 recipient(s)");
  EXPECT_EQ(commands_.pending({CommandKind::kFlush, CommandKind::kDelete}, 10).value().size(), 1u);
  EXPECT_FALSE(commands_.state(remove + 100).value());  // no such command
}

TEST_P(GatewayCommandsTest, TheNamesAreTheOnesTheTableAdmits) {
  EXPECT_EQ(command_name(CommandKind::kFlush), "flush");
  EXPECT_EQ(command_name(CommandKind::kDelete), "delete");
  EXPECT_EQ(command_name(CommandKind::kRelease), "release");
  EXPECT_FALSE(run(db_, "INSERT INTO gateway_commands (command, created_at) VALUES ('purge', 1)"));
}

// A database of the release before (schema 15) with commands still pending in both old tables.
TEST(GatewayCommandsMigration, PendingCommandsOfTheOldTablesMoveAcross) {
  test::TempDir dir;
  const std::string path = dir.file("postwarden.db");
  {
    Database old(sqlite::open(path).value());
    ASSERT_TRUE(
        old.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
                 "applied_at INTEGER NOT NULL)"));
    for (const auto& migration : migrations()) {
      if (migration.version > 15) break;
      ASSERT_TRUE(old.exec(migration.sql)) << migration.version;
      ASSERT_TRUE(
          run(old, "INSERT INTO schema_migrations VALUES (?1, 0)", {int64_t{migration.version}}));
    }
    ASSERT_TRUE(old.exec(
        "INSERT INTO queue_commands (command, message_id, created_at, done_at, result) VALUES "
        "('flush', '', 1, 2, 'flushed 1 recipient(s)'), ('delete', 'ABC123', 3, NULL, '');"
        "INSERT INTO quarantine_commands (command, quarantine_id, requested_by, created_at) "
        "VALUES ('release', 'Q9', 'cli:root', 4);"));
  }
  auto db = Database::open(path).value();
  EXPECT_GE(db.schema_version(), 16);
  auto pending =
      GatewayCommands(db)
          .pending({CommandKind::kFlush, CommandKind::kDelete, CommandKind::kRelease}, 10)
          .value();
  ASSERT_EQ(pending.size(), 2u);  // the answered flush stays behind
  EXPECT_EQ(pending[0].kind, CommandKind::kDelete);
  EXPECT_EQ(pending[0].target, "ABC123");
  EXPECT_EQ(pending[1].kind, CommandKind::kRelease);
  EXPECT_EQ(pending[1].target, "Q9");
  EXPECT_EQ(pending[1].requested_by, "cli:root");
  EXPECT_FALSE(query(db, "SELECT 1 FROM queue_commands"));  // the old tables are gone
}

INSTANTIATE_TEST_SUITE_P(Engines, GatewayCommandsTest, test::kEngines, test::EngineName());

}  // namespace
}  // namespace pw::store
