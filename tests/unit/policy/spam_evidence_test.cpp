// Proves that the remembered spam messages are the latest ones of the window, per subject, and
// that both bounds (messages per subject, subjects) hold.
#include "policy/spam_evidence.hpp"

#include <gtest/gtest.h>

namespace pw::policy {
namespace {

SpamMessage message(std::string id, int64_t at) {
  return {std::move(id), at, "spam", SpamOutcome::kHeld, ""};
}

std::vector<std::string> ids(const std::vector<SpamMessage>& messages) {
  std::vector<std::string> out;
  for (const auto& m : messages) out.push_back(m.queue_id);
  return out;
}

TEST(SpamEvidence, GivesTheLatestMessagesOfTheWindowOldestFirst) {
  SpamEvidence evidence(10, 5);
  for (int i = 1; i <= 7; ++i) evidence.record("user:a", message("m" + std::to_string(i), 100 + i));
  evidence.record("user:b", message("other", 110));
  // At most 5 kept per subject; of those, the last 3 asked for.
  EXPECT_EQ(ids(evidence.recent("user:a", 0, 10)),
            (std::vector<std::string>{"m3", "m4", "m5", "m6", "m7"}));
  EXPECT_EQ(ids(evidence.recent("user:a", 0, 3)), (std::vector<std::string>{"m5", "m6", "m7"}));
  // Only those counted within the window.
  EXPECT_EQ(ids(evidence.recent("user:a", 106, 10)), (std::vector<std::string>{"m6", "m7"}));
  EXPECT_TRUE(evidence.recent("user:nobody", 0, 10).empty());
}

TEST(SpamEvidence, ForgetsTheLeastRecentlyCountedSubjectFirst) {
  SpamEvidence evidence(2, 5);
  evidence.record("user:a", message("a1", 1));
  evidence.record("user:b", message("b1", 2));
  evidence.record("user:a", message("a2", 3));  // a is now the most recent
  evidence.record("user:c", message("c1", 4));  // b goes
  EXPECT_EQ(evidence.subjects(), 2u);
  EXPECT_TRUE(evidence.recent("user:b", 0, 5).empty());
  EXPECT_EQ(ids(evidence.recent("user:a", 0, 5)), (std::vector<std::string>{"a1", "a2"}));
  EXPECT_EQ(ids(evidence.recent("user:c", 0, 5)), (std::vector<std::string>{"c1"}));
}

}  // namespace
}  // namespace pw::policy
