// F-BATV: tag keys in the node database: the first key with the first domain switched on,
// rotation to the next number, the earlier key verifying until its tags expire and then retired,
// a number taken over after ten rotations, the generation bumps a running gateway reloads on,
// and the snapshot (domains with aliases, tagging only those).
#include "store/batv_key_repository.hpp"

#include <gtest/gtest.h>

#include "../store/temp_dir.hpp"
#include "batv/batv_keys.hpp"
#include "batv/batv_snapshot.hpp"
#include "store/domain_repository.hpp"
#include "store/domain_routing.hpp"
#include "store/statement.hpp"

namespace pw::store {
namespace {

constexpr int64_t kDay = 86400;

class BatvKeyRepositoryTest : public testing::Test {
 protected:
  test::TempDir dir_;
  Database db_ = Database::open(dir_.file("postwarden.db")).value();
  batv::BatvKeys keys_{db_};
  BatvKeyRepository rows_{db_};
  const int64_t now_ = 20000 * kDay + 3600;
};

TEST_F(BatvKeyRepositoryTest, FirstKeyWhenFirstSwitchedOn) {
  ASSERT_TRUE(DomainRepository(db_).add("example.com"));
  ASSERT_TRUE(DomainRepository(db_).add("other.org"));
  EXPECT_EQ(keys_.key_ring().value().current, -1);
  EXPECT_FALSE(rows_.domain_batv("example.com").value());
  auto before = db_.config_generation().value();
  ASSERT_TRUE(keys_.set_domain_batv("Example.COM", true, now_, 7));
  EXPECT_GT(db_.config_generation().value(), before);
  EXPECT_TRUE(rows_.domain_batv("example.com").value());
  auto ring = keys_.key_ring().value();
  EXPECT_EQ(ring.current, 0);
  EXPECT_EQ(ring.secrets[0].size(), 32u);
  ASSERT_TRUE(keys_.set_domain_batv("other.org", true, now_, 7));
  EXPECT_EQ(rows_.list().value().size(), 1u);  // no second key
  EXPECT_FALSE(keys_.set_domain_batv("missing.net", true, now_, 7));
  ASSERT_TRUE(keys_.set_domain_batv("other.org", false, now_, 7));
  EXPECT_EQ(rows_.batv_domains().value(), std::vector<std::string>{"example.com"});
}

TEST_F(BatvKeyRepositoryTest, RotationKeepsTheOldKeyUntilItsTagsExpire) {
  ASSERT_EQ(keys_.rotate(now_, 7).value().number, 0);
  auto first = keys_.key_ring().value();
  auto before = db_.config_generation().value();
  auto second = keys_.rotate(now_ + kDay, 7).value();
  EXPECT_EQ(second.number, 1);
  EXPECT_GT(db_.config_generation().value(), before);
  auto ring = keys_.key_ring().value();
  EXPECT_EQ(ring.current, 1);
  EXPECT_EQ(ring.secrets[0], first.secrets[0]);  // still verifies
  // A tag made with key 0 just before the rotation verifies through its last day.
  auto old_tag = batv::tag("a@example.com", first, now_ + kDay - 1, 7);
  EXPECT_EQ(batv::verify(old_tag, ring, now_ + 8 * kDay, 7).status, batv::VerifyStatus::kValid);
  EXPECT_EQ(keys_.retire_expired(now_ + 8 * kDay, 7).value(), 0);
  EXPECT_EQ(keys_.retire_expired(now_ + 9 * kDay, 7).value(), 1);
  auto after = keys_.key_ring().value();
  EXPECT_TRUE(after.secrets[0].empty());
  EXPECT_EQ(batv::verify(old_tag, after, now_ + 8 * kDay, 7).status,
            batv::VerifyStatus::kUnknownKey);
  auto listed = rows_.list().value();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].number, 1);
  EXPECT_EQ(listed[0].superseded_at, 0);
  EXPECT_EQ(listed[1].superseded_at, now_ + kDay);
  EXPECT_TRUE(listed[1].retired_at);
}

TEST_F(BatvKeyRepositoryTest, TheNumberWrapsAfterNineAndTakesOverTheOldKey) {
  for (int i = 0; i < 10; ++i) ASSERT_EQ(keys_.rotate(now_ + i, 7).value().number, i);
  auto ring = keys_.key_ring().value();
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(ring.secrets[static_cast<size_t>(i)].empty());
  auto old_zero = ring.secrets[0];
  EXPECT_EQ(keys_.rotate(now_ + 10, 7).value().number, 0);
  ring = keys_.key_ring().value();
  EXPECT_EQ(ring.current, 0);
  EXPECT_NE(ring.secrets[0], old_zero);
  EXPECT_EQ(rows_.list().value().size(), 11u);
}

TEST_F(BatvKeyRepositoryTest, SnapshotTagsOnlyDomainsWithBatvOnAndTheirAliases) {
  ASSERT_TRUE(DomainRepository(db_).add("example.com"));
  ASSERT_TRUE(DomainRepository(db_).add("plain.org"));
  ASSERT_TRUE(DomainRouting(db_).add_alias("example.com", "example.net"));
  ASSERT_TRUE(keys_.set_domain_batv("example.com", true, now_, 7));
  config::BatvConfig config;
  config.tag_lifetime_days = 7;
  config.max_address_length = 320;
  auto snapshot = batv::load_batv_snapshot(db_, config).value();
  EXPECT_TRUE(snapshot->enabled_for("EXAMPLE.com"));
  EXPECT_TRUE(snapshot->enabled_for("example.net"));
  EXPECT_FALSE(snapshot->enabled_for("plain.org"));
  EXPECT_EQ(snapshot->node_domains.size(), 3u);
  auto tagged = snapshot->tag_sender("a@example.net", now_);
  EXPECT_EQ(tagged.substr(0, 6), "prvs=0");
  EXPECT_EQ(snapshot->verify(tagged, now_).status, batv::VerifyStatus::kValid);
  EXPECT_EQ(snapshot->tag_sender("a@plain.org", now_), "a@plain.org");
  EXPECT_EQ(snapshot->tag_sender("", now_), "");
}

}  // namespace
}  // namespace pw::store
