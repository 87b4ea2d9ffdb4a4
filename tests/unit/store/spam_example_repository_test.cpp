// F-SPAM learning: the administrator's decisions as stored examples (migration 13): features
// survive the round trip, a later decision on the same message replaces the earlier one, the
// table keeps at most max_kept (oldest go first), every change bumps the config generation, and
// damaged stored features are refused.
#include "store/spam_example_repository.hpp"

#include <gtest/gtest.h>

#include "engine_database.hpp"

namespace pw::store {
namespace {

constexpr std::uint32_t kLimit = 1u << 20;

TEST(SpamFeatures, RoundTripThroughTheirText) {
  const std::vector<std::uint32_t> features = {0, 1, 127, 128, 16383, 16384, kLimit - 1};
  const auto text = encode_features(features);
  EXPECT_EQ(decode_features(text, kLimit).value(), features);
  EXPECT_TRUE(decode_features("", kLimit).value().empty());
  EXPECT_FALSE(decode_features("8", kLimit));                        // odd length
  EXPECT_FALSE(decode_features("zz", kLimit));                       // not hex
  EXPECT_FALSE(decode_features("80", kLimit));                       // a varint that never ends
  EXPECT_FALSE(decode_features(encode_features({kLimit}), kLimit));  // out of range
  EXPECT_FALSE(decode_features("0500", kLimit));                     // a repeated feature (delta 0)
}

SpamExample example(const std::string& source, bool spam, std::vector<std::uint32_t> f) {
  return SpamExample{0, source, spam, std::move(f), "admin", 1000};
}

class SpamExampleRepositoryTest : public testing::TestWithParam<const char*> {};

TEST_P(SpamExampleRepositoryTest, ReplacesBoundsAndBumpsTheGeneration) {
  test::EngineDatabase where(GetParam());
  Database db = where.open();
  SpamExampleRepository examples(db);
  const auto generation = db.config_generation().value();
  ASSERT_TRUE(examples.put(example("Q1", true, {3, 7}), 2, 2));
  EXPECT_GT(db.config_generation().value(), generation);
  ASSERT_TRUE(examples.put(example("Q2", false, {5}), 2, 2));
  auto counts = examples.counts().value();
  EXPECT_EQ(counts.spam, 1);
  EXPECT_EQ(counts.ham, 1);
  // The administrator changes their mind about Q1: one row, now ham, with a newer id.
  ASSERT_TRUE(examples.put(example("Q1", false, {3, 7}), 2, 2));
  const auto after = examples.counts().value();
  EXPECT_EQ(after.spam, 0);
  EXPECT_EQ(after.ham, 2);
  EXPECT_GT(after.newest_id, counts.newest_id);
  // A third message: only the newest two are kept.
  ASSERT_TRUE(examples.put(example("Q3", true, {9}), 2, 2));
  auto all = examples.all(2, kLimit).value();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].source, "Q1");
  EXPECT_EQ(all[0].features, (std::vector<std::uint32_t>{3, 7}));
  EXPECT_EQ(all[1].source, "Q3");
  EXPECT_TRUE(all[1].spam);
  // Only examples after an id, and only of the tokenizer asked for.
  EXPECT_EQ(examples.all(2, kLimit, all[0].id).value().size(), 1u);
  EXPECT_TRUE(examples.all(1, kLimit).value().empty());
}

INSTANTIATE_TEST_SUITE_P(Engines, SpamExampleRepositoryTest, test::kEngines, test::EngineName());

}  // namespace
}  // namespace pw::store
