// F-COUNTERS: rolling windows over minute and hour buckets, the SQLite mirror (a restart keeps the
// daily counter), resets that reach the database, sums read straight from the database, and
// buckets forgotten once past their span.
#include "policy/counter_store.hpp"

#include <gtest/gtest.h>

#include <optional>

#include "../store/temp_dir.hpp"
#include "store/database.hpp"
#include "store/statement.hpp"

namespace pw::policy {
namespace {

// The start of a day (a multiple of 86400), so that minute and hour boundaries are easy to read.
constexpr int64_t kDay0 = 20000 * 86400;
constexpr std::string_view kUser = "user:alice@example.com";

class CounterStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::Database::open(dir.file("postwarden.db"));
    ASSERT_TRUE(opened) << opened.error().message;
    db.emplace(std::move(*opened));
  }

  int64_t rows(std::string_view subject) {
    auto stmt = store::query(*db, "SELECT count(*) FROM counters WHERE subject = ?1", {subject});
    EXPECT_TRUE(stmt);
    EXPECT_TRUE(*store::next_row(*db, stmt->get()));
    return store::column_int(stmt->get(), 0);
  }

  test::TempDir dir;
  std::optional<store::Database> db;
};

TEST(CounterSubjects, NameUsersAndIdentities) {
  EXPECT_EQ(user_subject("alice@example.com"), "user:alice@example.com");
  EXPECT_EQ(identity_subject("192.0.2.0/24", "shop-7"), "identity:192.0.2.0/24/shop-7");
}

TEST_F(CounterStoreTest, AMinuteWindowFreesUpAtTheNextMinute) {
  CounterStore counters;
  counters.add(kUser, counter::kConnections, 3, kDay0 + 59);  // bucket kDay0
  EXPECT_EQ(counters.sum(kUser, counter::kConnections, 60, kDay0 + 59), 3);
  // After the boundary the previous minute bucket is outside a 60 s window ...
  EXPECT_EQ(counters.sum(kUser, counter::kConnections, 60, kDay0 + 60), 0);
  // ... but inside an hour window (minute buckets) and a day window (hour buckets).
  EXPECT_EQ(counters.sum(kUser, counter::kConnections, 3600, kDay0 + 60), 3);
  EXPECT_EQ(counters.sum(kUser, counter::kConnections, 86400, kDay0 + 60), 3);
  counters.add(kUser, counter::kConnections, 2, kDay0 + 61);
  EXPECT_EQ(counters.sum(kUser, counter::kConnections, 60, kDay0 + 119), 2);
  EXPECT_EQ(counters.sum(kUser, counter::kConnections, 3600, kDay0 + 119), 5);
  // Other kinds and subjects are separate, also subjects that extend this one.
  EXPECT_EQ(counters.sum(kUser, counter::kMessages, 3600, kDay0 + 119), 0);
  EXPECT_EQ(counters.sum("user:alice@example.co", counter::kConnections, 3600, kDay0 + 119), 0);
  EXPECT_EQ(counters.sum("user:alice@example.com.au", counter::kConnections, 3600, kDay0 + 119), 0);
  counters.add(kUser, counter::kConnections, 0, kDay0 + 119);  // adding 0 changes nothing
  EXPECT_EQ(counters.sum(kUser, counter::kConnections, 3600, kDay0 + 119), 5);
}

TEST_F(CounterStoreTest, AnHourWindowCountsTheLastSixtyMinuteBuckets) {
  CounterStore counters;
  counters.add(kUser, counter::kMessages, 1, kDay0 + 10);
  counters.add(kUser, counter::kMessages, 1, kDay0 + 1800);
  EXPECT_EQ(counters.sum(kUser, counter::kMessages, 3600, kDay0 + 3599), 2);
  EXPECT_EQ(counters.sum(kUser, counter::kMessages, 3600, kDay0 + 3600), 1);
  EXPECT_EQ(counters.sum(kUser, counter::kMessages, 3600, kDay0 + 1800 + 3600), 0);
  // Two hours is still a minute-bucket window.
  EXPECT_EQ(counters.sum(kUser, counter::kMessages, 2 * 3600, kDay0 + 1800 + 3600), 2);
  EXPECT_EQ(counters.sum(kUser, counter::kMessages, 2 * 3600, kDay0 + 7200), 1);
}

TEST_F(CounterStoreTest, LongWindowsUseHourBuckets) {
  CounterStore counters;
  counters.add(kUser, counter::kRecipients, 4, kDay0 + 3599);      // hour bucket kDay0
  counters.add(kUser, counter::kRecipients, 6, kDay0 + 5 * 3600);  // hour bucket 5
  EXPECT_EQ(counters.sum(kUser, counter::kRecipients, 86400, kDay0 + 86399), 10);
  // A day later the first hour bucket has left the window, the sixth has not.
  EXPECT_EQ(counters.sum(kUser, counter::kRecipients, 86400, kDay0 + 86400), 6);
  EXPECT_EQ(counters.sum(kUser, counter::kRecipients, 86400, kDay0 + 86400 + 5 * 3600), 0);
  EXPECT_EQ(counters.sum(kUser, counter::kRecipients, 7 * 86400, kDay0 + 86400 + 5 * 3600), 10);
  EXPECT_EQ(counters.sum(kUser, counter::kRecipients, 30 * 86400, kDay0 + 29 * 86400), 10);
  auto all = counters.sums(kUser, 86400, kDay0 + 86399);
  EXPECT_EQ(all.size(), 6u);
  EXPECT_EQ(all["unsure"], 0);
  EXPECT_EQ(all["recipients"], 10);
  EXPECT_EQ(all["connections"], 0);
  EXPECT_EQ(all["spam"], 0);
}

TEST_F(CounterStoreTest, ARestartKeepsTheDailyCounter) {
  {
    CounterStore counters;
    counters.add(kUser, counter::kRecipients, 40, kDay0 + 100);
    counters.add(kUser, counter::kRecipients, 2, kDay0 + 7000);
    counters.add(kUser, counter::kSpam, 1, kDay0 + 7000);
    counters.add("identity:alice@example.com/shop", counter::kMessages, 3, kDay0 + 7000);
    ASSERT_TRUE(counters.flush(*db, kDay0 + 7001));
    // A second flush writes the latest count of a bucket, not a second copy.
    counters.add(kUser, counter::kRecipients, 1, kDay0 + 7002);
    ASSERT_TRUE(counters.flush(*db, kDay0 + 7003));
  }
  // A new process (its own connection) loads the table.
  auto reopened = store::Database::open(dir.file("postwarden.db"));
  ASSERT_TRUE(reopened) << reopened.error().message;
  CounterStore restarted;
  ASSERT_TRUE(restarted.load(*reopened, kDay0 + 7100));
  int64_t now = kDay0 + 7100;
  EXPECT_EQ(restarted.sum(kUser, counter::kRecipients, 86400, now), 43);
  EXPECT_EQ(restarted.sum(kUser, counter::kRecipients, 3600, now), 3);
  EXPECT_EQ(restarted.sum(kUser, counter::kRecipients, 60, now), 0);
  EXPECT_EQ(restarted.sum(kUser, counter::kSpam, 600, now), 1);
  EXPECT_EQ(restarted.sum("identity:alice@example.com/shop", counter::kMessages, 3600, now), 3);
  // And counts on from there.
  restarted.add(kUser, counter::kRecipients, 7, now);
  EXPECT_EQ(restarted.sum(kUser, counter::kRecipients, 86400, now), 50);
}

TEST_F(CounterStoreTest, ReadSumsFromTheDatabaseMatchesTheStore) {
  CounterStore counters;
  counters.add(kUser, counter::kConnections, 2, kDay0 + 30);
  counters.add(kUser, counter::kInvalidRecipients, 5, kDay0 + 4000);
  counters.add("user:bob@example.com", counter::kConnections, 9, kDay0 + 4000);
  ASSERT_TRUE(counters.flush(*db, kDay0 + 4001));
  for (int64_t window : {60, 3600, 86400}) {
    auto read = CounterStore::read_sums(*db, kUser, window, kDay0 + 4010);
    ASSERT_TRUE(read) << read.error().message;
    EXPECT_EQ(*read, counters.sums(kUser, window, kDay0 + 4010)) << window;
  }
  auto day = *CounterStore::read_sums(*db, kUser, 86400, kDay0 + 4010);
  EXPECT_EQ(day["connections"], 2);
  EXPECT_EQ(day["invalid_recipients"], 5);
  auto nobody = *CounterStore::read_sums(*db, "user:nobody", 86400, kDay0 + 4010);
  EXPECT_EQ(nobody["connections"], 0);
}

TEST_F(CounterStoreTest, ResetForgetsASubjectAlsoInTheDatabase) {
  CounterStore counters;
  counters.add(kUser, counter::kRecipients, 10, kDay0 + 100);
  counters.add(kUser, counter::kSpam, 3, kDay0 + 100);
  counters.add("user:bob@example.com", counter::kRecipients, 4, kDay0 + 100);
  ASSERT_TRUE(counters.flush(*db, kDay0 + 101));
  ASSERT_GT(rows(kUser), 0);

  counters.reset(kUser);
  EXPECT_EQ(counters.sum(kUser, counter::kRecipients, 86400, kDay0 + 200), 0);
  ASSERT_TRUE(counters.flush(*db, kDay0 + 201));
  EXPECT_EQ(rows(kUser), 0);
  EXPECT_GT(rows("user:bob@example.com"), 0);

  CounterStore restarted;
  ASSERT_TRUE(restarted.load(*db, kDay0 + 300));
  EXPECT_EQ(restarted.sum(kUser, counter::kRecipients, 86400, kDay0 + 300), 0);
  EXPECT_EQ(restarted.sum("user:bob@example.com", counter::kRecipients, 86400, kDay0 + 300), 4);
}

// Regression test (bug found by this test, fixed in f9bbd02; src/policy/counter_store.cpp,
// CounterStore::add, `resets_.erase(...)`): a reset followed
// by any add for the same subject before the next flush cancels the DELETE, so the counts from
// before the reset stay in the database and come back at the next restart (or in the CLI's
// read_sums). Expected: the reset reaches the database whatever is added after it.
TEST_F(CounterStoreTest, AResetFollowedByANewCountStillReachesTheDatabase) {
  CounterStore counters;
  counters.add(kUser, counter::kRecipients, 10, kDay0 + 100);
  counters.add(kUser, counter::kSpam, 3, kDay0 + 100);
  ASSERT_TRUE(counters.flush(*db, kDay0 + 101));

  counters.reset(kUser);
  counters.add(kUser, counter::kMessages, 1, kDay0 + 5000);  // mail goes on after the reset
  ASSERT_TRUE(counters.flush(*db, kDay0 + 5001));
  EXPECT_EQ(counters.sum(kUser, counter::kSpam, 86400, kDay0 + 5001), 0);

  auto read = CounterStore::read_sums(*db, kUser, 86400, kDay0 + 5002);
  ASSERT_TRUE(read);
  EXPECT_EQ((*read)["spam"], 0);
  EXPECT_EQ((*read)["recipients"], 0);
  EXPECT_EQ((*read)["messages"], 1);
}

TEST_F(CounterStoreTest, ResetInDatabaseDeletesOnlyThatSubject) {
  CounterStore counters;
  counters.add(kUser, counter::kRecipients, 10, kDay0 + 100);
  counters.add("user:bob@example.com", counter::kRecipients, 4, kDay0 + 100);
  ASSERT_TRUE(counters.flush(*db, kDay0 + 101));
  ASSERT_TRUE(CounterStore::reset_in_database(*db, kUser));
  EXPECT_EQ(rows(kUser), 0);
  EXPECT_EQ(
      (*CounterStore::read_sums(*db, "user:bob@example.com", 86400, kDay0 + 102))["recipients"], 4);
}

TEST_F(CounterStoreTest, ExpiredBucketsArePruned) {
  CounterStore counters;
  counters.add(kUser, counter::kMessages, 1, kDay0);
  ASSERT_TRUE(counters.flush(*db, kDay0 + 1));
  EXPECT_EQ(rows(kUser), 2);  // one minute bucket, one hour bucket

  // Past two hours the minute bucket goes, from memory and from the table; the hour bucket stays.
  int64_t later = kDay0 + CounterStore::kFineSpan + CounterStore::kMinute;
  ASSERT_TRUE(counters.flush(*db, later));
  EXPECT_EQ(rows(kUser), 1);
  EXPECT_EQ(counters.sum(kUser, counter::kMessages, 86400, later), 1);

  // Past 32 days the hour bucket goes too.
  int64_t much_later = kDay0 + CounterStore::kCoarseSpan + CounterStore::kHour;
  ASSERT_TRUE(counters.flush(*db, much_later));
  EXPECT_EQ(rows(kUser), 0);
  EXPECT_EQ(counters.sum(kUser, counter::kMessages, 30 * 86400, kDay0 + 29 * 86400), 0);

  // A store loaded after a long stop does not bring back buckets past their span.
  CounterStore stale;
  stale.add(kUser, counter::kSpam, 1, kDay0);
  ASSERT_TRUE(stale.flush(*db, kDay0 + 1));
  CounterStore restarted;
  ASSERT_TRUE(restarted.load(*db, much_later));
  EXPECT_EQ(restarted.sum(kUser, counter::kSpam, 30 * 86400, much_later), 0);
}

}  // namespace
}  // namespace pw::policy
