// The NRD feed (F-NRD): dates in UTC, CSV lines, header, and one-line errors with line numbers.
#include "scan/nrd_feed.hpp"

#include <gtest/gtest.h>

namespace pw::scan {
namespace {

TEST(NrdTime, ReadsDatesAndUtcTimes) {
  EXPECT_EQ(parse_nrd_time("1985-01-02"), 473385600 + 86400);
  EXPECT_EQ(parse_nrd_time("2026-11-25"), 1795564800);
  EXPECT_EQ(parse_nrd_time("2026-11-25T16:30"), 1795564800 + 16 * 3600 + 30 * 60);
  EXPECT_EQ(parse_nrd_time("2026-11-25T16:30:05Z"), 1795564800 + 16 * 3600 + 30 * 60 + 5);
  EXPECT_EQ(parse_nrd_time("2026-11-25 16:30:05"), 1795564800 + 16 * 3600 + 30 * 60 + 5);
  EXPECT_EQ(parse_nrd_time("2026-11-25T16:30:05.123+00:00"), 1795564800 + 16 * 3600 + 30 * 60 + 5);
  EXPECT_EQ(parse_nrd_time("2024-02-29"), 1709164800);  // a leap day
}

TEST(NrdTime, RefusesWhatIsNotAUtcDate) {
  for (const char* bad :
       {"", "2026", "2026-13-01", "2026-02-30", "2025-02-29", "2026-11-25T24:00", "2026-11-25T16",
        "2026-11-25T16:60", "2026-11-25T16:30:61", "2026-11-25T16:30+02:00", "25.11.2026",
        "2026/11/25", "2026-11-25x", "1900-01-01", "2026-11-25T16:30:05."}) {
    EXPECT_FALSE(parse_nrd_time(bad)) << bad;
  }
}

TEST(NrdCsv, ReadsLinesLowerCasesAndSkipsHeaderBlanksAndComments) {
  auto entries = parse_nrd_csv(
      "\xEF\xBB\xBF"
      "domain,registered\r\n"
      "# a comment\r\n"
      "\r\n"
      "NewDom.COM,2026-11-25T10:00:00Z\r\n"
      "\"quoted.example\", \"2026-11-24\"\r\n"
      "trailing.example.,2026-11-23\n");
  ASSERT_TRUE(entries) << entries.error().message;
  ASSERT_EQ(entries->size(), 3u);
  EXPECT_EQ((*entries)[0].domain, "newdom.com");
  EXPECT_EQ((*entries)[0].registered_at, *parse_nrd_time("2026-11-25T10:00:00Z"));
  EXPECT_EQ((*entries)[1].domain, "quoted.example");
  EXPECT_EQ((*entries)[2].domain, "trailing.example");
}

TEST(NrdCsv, AFirstLineWithADomainIsNoHeader) {
  auto entries = parse_nrd_csv("domains.example,2026-11-25\n");
  ASSERT_TRUE(entries) << entries.error().message;
  EXPECT_EQ(entries->size(), 1u);
}

TEST(NrdCsv, TheFirstBadLineFailsTheWholeFileWithItsNumber) {
  struct Case {
    const char* text;
    const char* expected;  // the start of the error
  };
  for (const auto& c : std::vector<Case>{
           {"a.example,2026-11-25\nb.example,2026-13-01\n", "line 2: date"},
           {"a.example,2026-11-25\n\n# c\nbad_domain.example,2026-11-25\n", "line 4: "},
           {"a.example\n", "line 1: expected domain,date"},
           {"a.example,2026-11-25,extra\n", "line 1: expected two fields"},
           {"domain,date\nx,2026-11-25\n", "line 2: "},
           {"a.example,2026-11-25\n-bad.example,2026-11-25\n", "line 2: "},
           {"a.example,\n", "line 1: date"},
       }) {
    auto entries = parse_nrd_csv(c.text);
    ASSERT_FALSE(entries) << c.text;
    EXPECT_EQ(entries.error().message.rfind(c.expected, 0), 0u)
        << c.text << " -> " << entries.error().message;
    EXPECT_EQ(entries.error().message.find('\n'), std::string::npos);
  }
}

TEST(NrdCsv, AnEmptyFileHasNoEntries) {
  auto entries = parse_nrd_csv("");
  ASSERT_TRUE(entries);
  EXPECT_TRUE(entries->empty());
}

}  // namespace
}  // namespace pw::scan
