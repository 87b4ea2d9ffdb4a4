// Proves that a lock's reason and mail name the messages (ids, checks, outcome) and the counts,
// and never the checks' detailed reasons.
#include "policy/lock_reason.hpp"

#include <gtest/gtest.h>

namespace pw::policy {
namespace {

SpamMessage spam(std::string id, int64_t at, std::string check,
                 SpamOutcome outcome = SpamOutcome::kHeld, std::string detail = "") {
  return {std::move(id), at, std::move(check), outcome, std::move(detail)};
}

LockEvidence evidence(std::vector<SpamMessage> messages, int64_t count) {
  return {count, 10, 5, messages.empty() ? "spam" : messages.back().check, std::move(messages)};
}

TEST(LockReason, NamesTheCountTheCheckAndTheQuarantineIds) {
  std::vector<SpamMessage> held;
  for (int i = 1; i <= 6; ++i) held.push_back(spam("Q" + std::to_string(i), 100, "spam"));
  EXPECT_EQ(lock_reason(evidence(held, 6)),
            "6 spam messages in 10 minutes (more than 5), found by the spam check; quarantine ids "
            "Q1, Q2, Q3, Q4, Q5, Q6");
}

TEST(LockReason, SaysWhenOnlyTheLastOnesAreNamedAndWhichChecksCaughtThem) {
  std::vector<SpamMessage> mixed = {spam("Q1", 100, "spam"), spam("Q2", 101, "virus"),
                                    spam("S3", 102, "fuzzy_hash", SpamOutcome::kSent)};
  EXPECT_EQ(lock_reason(evidence(mixed, 8)),
            "8 spam or virus messages in 10 minutes (more than 5), found by the spam, virus and "
            "fuzzy_hash checks; the last 3: queue ids Q1, Q2, S3");
}

TEST(LockReason, NamesTheVirusesOnceEach) {
  std::vector<SpamMessage> viruses = {
      spam("Q1", 100, "virus", SpamOutcome::kHeld, "virus: Eicar-Signature"),
      spam("Q2", 101, "virus", SpamOutcome::kHeld, "virus: Eicar-Signature"),
      spam("Q3", 102, "virus", SpamOutcome::kHeld, "virus: Win.Test.Other")};
  EXPECT_EQ(lock_reason(evidence(viruses, 3)),
            "3 spam or virus messages in 10 minutes (more than 5), found by the virus check "
            "(virus: Eicar-Signature, virus: Win.Test.Other); quarantine ids Q1, Q2, Q3");
  EXPECT_NE(lock_messages(evidence(viruses, 3)).find("virus check (virus: Win.Test.Other), held"),
            std::string::npos);
}

TEST(LockReason, WithoutRememberedMessagesNamesTheCheckOnly) {
  EXPECT_EQ(lock_reason(evidence({}, 6)),
            "6 spam messages in 10 minutes (more than 5), found by the spam check");
  EXPECT_NE(lock_messages(evidence({}, 6)).find("not known"), std::string::npos);
}

TEST(LockReason, MessagesListOneLinePerMessage) {
  std::string text = lock_messages(evidence(
      {spam("Q1", 1795600800, "spam"), spam("R2", 1795600801, "virus", SpamOutcome::kRefused)}, 2));
  EXPECT_EQ(text,
            "  Q1  2026-11-25 10:00:00 UTC  spam check, held in quarantine\n"
            "  R2  2026-11-25 10:00:01 UTC  virus check, refused\n");
}

}  // namespace
}  // namespace pw::policy
