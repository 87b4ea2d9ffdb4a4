// Proves that the outcome journal reads back what it wrote, skips a line cut short by a crash,
// rotates at its size limit and keeps files in order across reopenings.
#include "queue/outcome_journal.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "../store/temp_dir.hpp"

namespace pw::queue {
namespace {

store::RecipientUpdate outcome(std::string id, std::string rcpt, store::DeliveryStatus status) {
  return {std::move(id),
          std::move(rcpt),
          status,
          1,
          0,
          "250 2.0.0 Ok \"quoted\"\ttab",
          "mx.example.net[192.0.2.1]:25",
          "delivered"};
}

TEST(OutcomeJournal, ReadsBackWhatItWrote) {
  test::TempDir dir;
  auto journal = OutcomeJournal::open(dir.path() / "journal", 1 << 20);
  ASSERT_TRUE(journal) << journal.error().message;
  ASSERT_TRUE(journal->append(outcome("A1", "x@example.com", store::DeliveryStatus::kDelivered)));
  ASSERT_TRUE(journal->append(outcome("A2", "y@example.com", store::DeliveryStatus::kBounced)));
  auto read = OutcomeJournal::read_all(dir.path() / "journal");
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].message_id, "A1");
  EXPECT_EQ(read[0].rcpt, "x@example.com");
  EXPECT_EQ(read[0].status, store::DeliveryStatus::kDelivered);
  EXPECT_EQ(read[0].reply, "250 2.0.0 Ok \"quoted\"\ttab");
  EXPECT_EQ(read[0].remote_host, "mx.example.net[192.0.2.1]:25");
  EXPECT_EQ(read[1].status, store::DeliveryStatus::kBounced);
}

TEST(OutcomeJournal, SkipsALineCutShortByACrash) {
  test::TempDir dir;
  auto journal = OutcomeJournal::open(dir.path(), 1 << 20);
  ASSERT_TRUE(journal);
  ASSERT_TRUE(journal->append(outcome("A1", "x@example.com", store::DeliveryStatus::kDelivered)));
  {
    std::ofstream out(journal->path(), std::ios::app | std::ios::binary);
    out << R"({"id":"A2","rcpt":"y@exa)";
  }
  auto read = OutcomeJournal::read_all(dir.path());
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].message_id, "A1");
}

TEST(OutcomeJournal, RotatesAndReportsTheFullFile) {
  test::TempDir dir;
  auto journal = OutcomeJournal::open(dir.path(), 4096);
  ASSERT_TRUE(journal);
  auto first = journal->path();
  std::filesystem::path full;
  int appended = 0;
  while (full.empty() && appended < 1000) {
    auto r = journal->append(outcome("A" + std::to_string(appended), "x@example.com",
                                     store::DeliveryStatus::kDelivered));
    ASSERT_TRUE(r);
    full = *r;
    ++appended;
  }
  EXPECT_EQ(full, first);
  EXPECT_NE(journal->path(), first);
  ASSERT_TRUE(journal->append(outcome("last", "x@example.com", store::DeliveryStatus::kExpired)));
  EXPECT_EQ(OutcomeJournal::files(dir.path()).size(), 2u);
  auto read = OutcomeJournal::read_all(dir.path());
  ASSERT_EQ(read.size(), static_cast<size_t>(appended + 1));
  EXPECT_EQ(read.back().message_id, "last");  // oldest file first
  // A new journal on the same directory starts after the existing files.
  auto again = OutcomeJournal::open(dir.path(), 4096);
  ASSERT_TRUE(again);
  EXPECT_EQ(OutcomeJournal::files(dir.path()).back(), again->path());
}

}  // namespace
}  // namespace pw::queue
