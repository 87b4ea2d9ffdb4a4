// The decision trail takes what a check measured from the values the gateway stored with the
// decision, not from the words of its reason (issue 16: nothing re-parses a text). Rows written
// before the values were stored still show what their texts say.
#include <gtest/gtest.h>

#include <string>

#include "service/log_service.hpp"

namespace pw::service {
namespace {

TEST(DecisionReasons, MeasuredValuesComeFromTheStoredValues) {
  // The text says other numbers than the values: the values win, the text is not read.
  const std::string json =
      R"j([{"rule":"messages_per_hour","text":"9 messages in the last hour (limit 8)",)j"
      R"j("score":0,"counter":120,"limit":100},)j"
      R"j({"rule":"spam_score","text":"score 1.0 at or over the threshold 2","score":0,)j"
      R"j("limit":5,"measured_score":7.5},)j"
      R"j({"rule":"BAYES","text":"spam probability 0.99 (limit 3)","score":4.5}])j";
  auto reasons = parse_reasons(json, "");
  ASSERT_EQ(reasons.size(), 3u);
  EXPECT_EQ(reasons[0].counter, 120);
  EXPECT_EQ(reasons[0].limit, 100);
  EXPECT_FALSE(reasons[0].score);
  EXPECT_FALSE(reasons[1].counter);
  EXPECT_EQ(reasons[1].limit, 5);
  EXPECT_EQ(reasons[1].score, 7.5);
  EXPECT_FALSE(reasons[2].counter);
  EXPECT_FALSE(reasons[2].limit);
  EXPECT_EQ(reasons[2].score, 4.5);
}

TEST(DecisionReasons, OldRowsWithoutValuesAreMeasuredFromTheirText) {
  auto reasons = parse_reasons("", "messages_per_hour: 9 messages in the last hour (limit 8)");
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_EQ(reasons[0].rule, "messages_per_hour");
  EXPECT_EQ(reasons[0].counter, 9);
  EXPECT_EQ(reasons[0].limit, 8);
}

}  // namespace
}  // namespace pw::service
