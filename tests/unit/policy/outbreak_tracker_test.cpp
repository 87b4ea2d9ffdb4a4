// Proves the outbreak tracker (F-FUZZY): distinct users of one campaign are counted (the same
// user twice is one), near duplicates join the campaign, unrelated texts do not, sightings older
// than the window are forgotten, and the record never holds more than its bound.
#include "policy/outbreak_tracker.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace pw::policy {
namespace {

constexpr int64_t kWindow = 3600;
constexpr double kThreshold = 0.8;

scan::FuzzyFingerprint text_fp(const std::string& name, int variant = 0) {
  std::string text = "Dear " + name +
                     ", your parcel could not be delivered because the customs fee was not paid. "
                     "Please pay the outstanding amount today using the link in this message, "
                     "otherwise the parcel will be returned to the sender and the fee will rise.";
  for (int i = 0; i < variant; ++i) {
    text += " Unrelated sentence number " + std::string(1, static_cast<char>('a' + i % 26)) +
            " talks about gardening tomatoes and cucumbers in variant " +
            std::string(1, static_cast<char>('a' + i / 26)) + std::to_string(i);
  }
  return *scan::fuzzy_fingerprint(text, 1);
}

scan::FuzzyFingerprint other_fp(int n) {
  std::string text;
  const char* words[] = {"apple", "river", "stone", "cloud", "maple", "ocean", "tiger", "lemon",
                         "piano", "glass", "sugar", "night", "bread", "chair", "sheep", "frost"};
  for (int i = 0; i < 40; ++i) {
    text += words[(n * 7 + i * (n % 5 + 1) + i * i) % 16];
    text += std::string(1, static_cast<char>('a' + (n + i) % 26));
    text += std::string(1, static_cast<char>('a' + (n / 26 + i * 3) % 26));
    text += " ";
  }
  return *scan::fuzzy_fingerprint(text, 1);
}

TEST(OutbreakTrackerTest, CountsDistinctUsersOfOneCampaign) {
  OutbreakTracker tracker(1000);
  EXPECT_EQ(tracker.record(text_fp("John"), "user:a", 100, kWindow, kThreshold).users, 1u);
  EXPECT_EQ(tracker.record(text_fp("Mary"), "user:a", 110, kWindow, kThreshold).users, 1u);
  EXPECT_EQ(tracker.record(text_fp("Paul"), "user:b", 120, kWindow, kThreshold).users, 2u);
  auto third = tracker.record(text_fp("Anna"), "user:c", 130, kWindow, kThreshold);
  EXPECT_EQ(third.users, 3u);
  EXPECT_EQ(third.first_seen, 100);
  EXPECT_EQ(tracker.campaigns(), 1u);
  // Another text from a fourth user is another campaign.
  EXPECT_EQ(tracker.record(other_fp(1), "user:d", 140, kWindow, kThreshold).users, 1u);
  EXPECT_EQ(tracker.campaigns(), 2u);
}

TEST(OutbreakTrackerTest, SightingsOlderThanTheWindowNoLongerCount) {
  OutbreakTracker tracker(1000);
  tracker.record(text_fp("John"), "user:a", 1000, kWindow, kThreshold);
  tracker.record(text_fp("John"), "user:b", 2000, kWindow, kThreshold);
  // user:a's sighting is older than the window at 4700; user:b's is not.
  EXPECT_EQ(tracker.record(text_fp("John"), "user:c", 4700, kWindow, kThreshold).users, 2u);
  // Nothing seen for longer than the window: the campaign is forgotten entirely.
  auto later = tracker.record(text_fp("John"), "user:d", 4700 + kWindow + 1, kWindow, kThreshold);
  EXPECT_EQ(later.users, 1u);
  EXPECT_EQ(later.first_seen, 4700 + kWindow + 1);
  EXPECT_EQ(tracker.campaigns(), 1u);
  EXPECT_EQ(tracker.entries(), 1u);
}

TEST(OutbreakTrackerTest, NeverHoldsMoreThanItsBound) {
  constexpr std::size_t kBound = 50;
  OutbreakTracker tracker(kBound);
  for (int i = 0; i < 500; ++i) {
    tracker.record(other_fp(i), "user:" + std::to_string(i % 7), 1000 + i, kWindow, kThreshold);
    ASSERT_LE(tracker.entries(), kBound);
  }
  EXPECT_LE(tracker.campaigns(), kBound);
  // One campaign with more users than the bound keeps the most recent ones.
  OutbreakTracker small(3);
  for (int i = 0; i < 10; ++i) {
    auto s = small.record(text_fp("X"), "user:" + std::to_string(i), 1000 + i, kWindow, kThreshold);
    EXPECT_LE(s.users, 3u);
  }
  EXPECT_EQ(small.entries(), 3u);
}

TEST(OutbreakTrackerTest, IsSafeUnderConcurrentUse) {
  OutbreakTracker tracker(10000);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&tracker, t] {
      for (int i = 0; i < 200; ++i)
        tracker.record(text_fp("N"), "user:" + std::to_string(t), 1000 + i, kWindow, kThreshold);
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(tracker.record(text_fp("N"), "user:x", 1300, kWindow, kThreshold).users, 5u);
}

}  // namespace
}  // namespace pw::policy
