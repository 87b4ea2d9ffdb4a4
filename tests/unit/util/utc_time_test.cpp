// The one place times become text and text becomes times (issue 16: one time formatter).
#include "util/utc_time.hpp"

#include <gtest/gtest.h>

namespace pw::util {
namespace {

constexpr int64_t kTime = 1795624455;  // 2026-11-25 16:34:15 UTC, a Wednesday

TEST(UtcTime, EveryStyle) {
  EXPECT_EQ(format_utc(kTime, TimeStyle::kIso8601), "2026-11-25T16:34:15Z");
  EXPECT_EQ(format_utc(kTime, TimeStyle::kReadable), "2026-11-25 16:34:15 UTC");
  EXPECT_EQ(format_utc(kTime, TimeStyle::kRfc5322), "Wed, 25 Nov 2026 16:34:15 +0000");
  EXPECT_EQ(rfc5322_date(kTime), "Wed, 25 Nov 2026 16:34:15 +0000");
  EXPECT_EQ(format_utc(kTime, TimeStyle::kMonth), "2026-11");
  // asctime(): the day of the month is padded with a space.
  EXPECT_EQ(format_utc(1795392000, TimeStyle::kAsctime), "Mon Nov 23 00:00:00 2026");
  EXPECT_EQ(format_utc(1793664000, TimeStyle::kAsctime), "Tue Nov  3 00:00:00 2026");
  EXPECT_EQ(format_utc(0, TimeStyle::kRfc5322), "Thu, 01 Jan 1970 00:00:00 +0000");
}

TEST(UtcTime, ParsesWhatItWritesAndTheShorterForms) {
  EXPECT_EQ(parse_utc(format_utc(kTime, TimeStyle::kIso8601)), kTime);
  EXPECT_EQ(parse_utc("2026-11-25T16:34:15"), kTime);
  EXPECT_EQ(parse_utc("2026-11-25 16:34:15"), kTime);
  EXPECT_EQ(parse_utc("2026-11-25T16:34Z"), kTime - 15);
  EXPECT_EQ(parse_utc("2026-11-25T16:34"), kTime - 15);
  EXPECT_EQ(parse_utc("2026-11-25"), kTime - 16 * 3600 - 34 * 60 - 15);
  EXPECT_FALSE(parse_utc(""));
  EXPECT_FALSE(parse_utc("2026-11-25T16:34:15Z trailing"));
  EXPECT_FALSE(parse_utc("yesterday"));
  EXPECT_FALSE(parse_utc("1795624455"));
}

}  // namespace
}  // namespace pw::util
