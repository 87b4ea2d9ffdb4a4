// F-LOCK, F-LOCK-TIMEOUT, F-LOCK-MAXUNLOCK: automatic locks that lift by timeout (counted and
// written), permanent locks once the unlocks are used up, administrators' locks and unlocks, and
// a gateway that sees changes made by the CLI's own connection after a reload.
#include "policy/lock_book.hpp"

#include <gtest/gtest.h>

#include <optional>

#include "../store/temp_dir.hpp"
#include "store/database.hpp"

namespace pw::policy {
namespace {

constexpr int64_t kNow = 1'750'000'000;
const std::string kAlice = "user:alice@example.com";

class LockBookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::Database::open(dir.file("postwarden.db"));
    ASSERT_TRUE(opened) << opened.error().message;
    db.emplace(std::move(*opened));
    book.emplace(*db);
    ASSERT_TRUE(book->reload());
  }

  // What a freshly started gateway (or the CLI) reads from the table.
  std::optional<LockState> stored(const std::string& subject) {
    auto other = store::Database::open(dir.file("postwarden.db"));
    EXPECT_TRUE(other) << other.error().message;
    if (!other) return std::nullopt;
    auto lock = read_lock(*other, subject);
    EXPECT_TRUE(lock) << lock.error().message;
    return lock ? *lock : std::nullopt;
  }

  test::TempDir dir;
  std::optional<store::Database> db;
  std::optional<LockBook> book;
};

TEST_F(LockBookTest, NothingIsLockedAtFirst) {
  EXPECT_FALSE(book->active(kAlice, kNow));
  EXPECT_TRUE(read_locks(*db)->empty());
  EXPECT_FALSE(*read_lock(*db, kAlice));
}

TEST_F(LockBookTest, AnAutomaticLockLiftsAtItsTimeoutAndIsCounted) {
  auto locked = book->lock_automatically(kAlice, "6 spam messages", kNow, 3600, 3);
  ASSERT_TRUE(locked) << locked.error().message;
  EXPECT_TRUE(locked->locked);
  EXPECT_EQ(locked->subject, kAlice);
  EXPECT_EQ(locked->reason, "6 spam messages");
  EXPECT_EQ(locked->locked_at, kNow);
  EXPECT_EQ(locked->unlock_at, kNow + 3600);
  EXPECT_EQ(locked->locked_by, "automatic");
  EXPECT_EQ(locked->automatic_unlocks, 0);

  auto written = stored(kAlice);
  ASSERT_TRUE(written);
  EXPECT_TRUE(written->locked);
  EXPECT_EQ(written->unlock_at, kNow + 3600);

  auto active = book->active(kAlice, kNow + 3599);
  ASSERT_TRUE(active);
  EXPECT_EQ(active->reason, "6 spam messages");
  EXPECT_FALSE(book->active("user:bob@example.com", kNow + 10));

  EXPECT_FALSE(book->active(kAlice, kNow + 3600));  // the second it is due
  EXPECT_FALSE(book->active(kAlice, kNow + 3601));
  written = stored(kAlice);
  ASSERT_TRUE(written);
  EXPECT_FALSE(written->locked);
  EXPECT_EQ(written->automatic_unlocks, 1);
  EXPECT_EQ(written->unlock_at, 0);

  // A reload (a restart) shows the lift and the count.
  LockBook restarted(*db);
  ASSERT_TRUE(restarted.reload());
  EXPECT_FALSE(restarted.active(kAlice, kNow + 3601));
  auto again = restarted.lock_automatically(kAlice, "again", kNow + 4000, 60, 3);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->automatic_unlocks, 1);
  EXPECT_EQ(again->unlock_at, kNow + 4060);
}

TEST_F(LockBookTest, AfterMaxUnlocksOnlyAnAdministratorUnlocks) {
  int64_t now = kNow;
  for (int i = 0; i < 2; ++i) {
    auto locked = book->lock_automatically(kAlice, "spam", now, 600, 2);
    ASSERT_TRUE(locked);
    EXPECT_EQ(locked->unlock_at, now + 600) << i;
    now += 600;
    EXPECT_FALSE(book->active(kAlice, now)) << i;
    now += 1;
  }
  EXPECT_EQ(stored(kAlice)->automatic_unlocks, 2);
  auto locked = book->lock_automatically(kAlice, "spam", now, 600, 2);
  ASSERT_TRUE(locked);
  EXPECT_EQ(locked->unlock_at, 0);
  EXPECT_TRUE(book->active(kAlice, now + 365 * 86400));
  EXPECT_EQ(stored(kAlice)->unlock_at, 0);

  // The administrator unlocks and resets the count; the gateway reloads; timeouts apply again.
  auto unlocked = admin_unlock(*db, kAlice, true);
  ASSERT_TRUE(unlocked) << unlocked.error().message;
  EXPECT_FALSE(unlocked->locked);
  EXPECT_EQ(unlocked->automatic_unlocks, 0);
  ASSERT_TRUE(book->reload());
  EXPECT_FALSE(book->active(kAlice, now + 1));
  locked = book->lock_automatically(kAlice, "spam", now + 2, 600, 2);
  ASSERT_TRUE(locked);
  EXPECT_EQ(locked->unlock_at, now + 602);
}

TEST_F(LockBookTest, AdministratorsLockWithoutTimeout) {
  auto locked = admin_lock(*db, kAlice, "", kNow);
  ASSERT_TRUE(locked) << locked.error().message;
  EXPECT_TRUE(locked->locked);
  EXPECT_EQ(locked->locked_by, "admin");
  EXPECT_EQ(locked->reason, "locked by an administrator");
  EXPECT_EQ(locked->unlock_at, 0);
  EXPECT_EQ(locked->locked_at, kNow);
  EXPECT_EQ(admin_lock(*db, kAlice, "abuse report 17", kNow + 5)->reason, "abuse report 17");

  EXPECT_FALSE(book->active(kAlice, kNow + 10));  // the cache until the gateway reloads
  ASSERT_TRUE(book->reload());
  auto active = book->active(kAlice, kNow + 10 * 365 * 86400);
  ASSERT_TRUE(active);
  EXPECT_EQ(active->locked_by, "admin");
  EXPECT_EQ(active->reason, "abuse report 17");

  auto unlocked = admin_unlock(*db, kAlice, false);
  ASSERT_TRUE(unlocked) << unlocked.error().message;
  EXPECT_FALSE(unlocked->locked);
  ASSERT_TRUE(book->reload());
  EXPECT_FALSE(book->active(kAlice, kNow + 20));
}

TEST_F(LockBookTest, AnAdministratorsLockKeepsTheCountOfAutomaticUnlocks) {
  ASSERT_TRUE(book->lock_automatically(kAlice, "spam", kNow, 60, 3));
  EXPECT_FALSE(book->active(kAlice, kNow + 60));
  auto locked = admin_lock(*db, kAlice, "manual", kNow + 100);
  ASSERT_TRUE(locked);
  EXPECT_EQ(locked->automatic_unlocks, 1);
  auto unlocked = admin_unlock(*db, kAlice, false);
  ASSERT_TRUE(unlocked);
  EXPECT_EQ(unlocked->automatic_unlocks, 1);
}

TEST_F(LockBookTest, UnlockingWhatIsNotLockedIsAnErrorUnlessResettingTheCount) {
  auto refused = admin_unlock(*db, kAlice, false);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "not locked: alice@example.com");

  // An expired automatic lock is not locked either.
  ASSERT_TRUE(book->lock_automatically(kAlice, "spam", kNow, 60, 3));
  EXPECT_FALSE(book->active(kAlice, kNow + 61));
  refused = admin_unlock(*db, kAlice, false);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message.find_first_of("\r\n"), std::string::npos);

  auto reset = admin_unlock(*db, kAlice, true);
  ASSERT_TRUE(reset) << reset.error().message;
  EXPECT_FALSE(reset->locked);
  EXPECT_EQ(reset->automatic_unlocks, 0);
  EXPECT_EQ(stored(kAlice)->automatic_unlocks, 0);

  // Resetting a subject that never had a row is allowed (it writes an unlocked row).
  auto fresh = admin_unlock(*db, "identity:alice@example.com/shop", true);
  ASSERT_TRUE(fresh) << fresh.error().message;
  EXPECT_FALSE(fresh->locked);
}

TEST_F(LockBookTest, ReloadPicksUpAChangeFromAnotherConnection) {
  ASSERT_TRUE(book->lock_automatically(kAlice, "spam", kNow, 3600, 3));
  {
    auto cli = store::Database::open(dir.file("postwarden.db"));
    ASSERT_TRUE(cli) << cli.error().message;
    ASSERT_TRUE(admin_unlock(*cli, kAlice, false));
    ASSERT_TRUE(admin_lock(*cli, "identity:alice@example.com/shop", "phishing", kNow));
    auto all = read_locks(*cli);
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 2u);
    EXPECT_EQ((*all)[0].subject, "identity:alice@example.com/shop");  // ordered by subject
  }
  EXPECT_TRUE(book->active(kAlice, kNow + 1));  // not yet re-read
  ASSERT_TRUE(book->reload());
  EXPECT_FALSE(book->active(kAlice, kNow + 1));
  auto identity = book->active("identity:alice@example.com/shop", kNow + 1);
  ASSERT_TRUE(identity);
  EXPECT_EQ(identity->reason, "phishing");
  EXPECT_EQ(identity->unlock_at, 0);
}

TEST_F(LockBookTest, WriteLockIsAnUpsert) {
  LockState s;
  s.subject = kAlice;
  s.locked = true;
  s.reason = "r1";
  s.locked_at = kNow;
  s.unlock_at = kNow + 5;
  s.automatic_unlocks = 2;
  s.locked_by = "automatic";
  ASSERT_TRUE(write_lock(*db, s));
  s.reason = "r2";
  ASSERT_TRUE(write_lock(*db, s));
  auto all = read_locks(*db);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].reason, "r2");
  EXPECT_EQ((*all)[0].automatic_unlocks, 2);
  EXPECT_EQ((*all)[0].unlock_at, kNow + 5);
}

}  // namespace
}  // namespace pw::policy
