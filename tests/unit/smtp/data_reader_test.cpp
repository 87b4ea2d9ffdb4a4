// Proves the end-of-data rule and dot-unstuffing of DataReader (SMTP smuggling defences).
#include "smtp/data_reader.hpp"

#include <gtest/gtest.h>

namespace pw::smtp {
namespace {

struct Fed {
  bool done;
  size_t consumed;
  std::string message;
  bool bare;
};

Fed feed_all(std::string_view input, uint64_t max = 1 << 20) {
  DataReader reader(max);
  size_t used = reader.feed(input);
  return {reader.done(), used, reader.message(), reader.bare_line_ending()};
}

TEST(DataReader, EndsOnlyAtCrLfDotCrLf) {
  auto r = feed_all("Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n");
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.message, "Subject: x\r\n\r\nbody\r\n");
  EXPECT_EQ(r.consumed, std::string_view("Subject: x\r\n\r\nbody\r\n.\r\n").size());
  EXPECT_FALSE(r.bare);
}

TEST(DataReader, EmptyMessageEndsAtFirstLineDot) {
  auto r = feed_all(".\r\n");
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.message, "");
}

TEST(DataReader, SmuggledEndsDoNotEndData) {
  for (std::string_view fake : {"\n.\n", "\r.\r", "\n.\r\n", "\r\n.\n"}) {
    std::string input = "a\r\nb";
    input += fake;
    input += "MAIL FROM:<evil@example.com>\r\n";
    auto r = feed_all(input);
    EXPECT_FALSE(r.done) << "sequence " << testing::PrintToString(std::string(fake));
    EXPECT_TRUE(r.bare) << "sequence " << testing::PrintToString(std::string(fake));
    EXPECT_EQ(r.consumed, input.size());
  }
}

TEST(DataReader, SmuggledSequenceFollowedByRealEndIsFlagged) {
  DataReader reader(1 << 20);
  std::string input = "a\n.\nMAIL FROM:<x@y>\r\n.\r\n";
  EXPECT_EQ(reader.feed(input), input.size());
  EXPECT_TRUE(reader.done());
  EXPECT_TRUE(reader.bare_line_ending());
}

TEST(DataReader, RemovesDotStuffing) {
  auto r = feed_all("..leading\r\n...\r\n.\r\n");
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.message, ".leading\r\n..\r\n");
}

TEST(DataReader, WorksAcrossChunkBoundaries) {
  std::string input = "line one\r\n..two\r\n.\r\nNEXT";
  for (size_t split = 0; split <= input.size(); ++split) {
    DataReader reader(1 << 20);
    size_t used = reader.feed(std::string_view(input).substr(0, split));
    if (!reader.done()) used += reader.feed(std::string_view(input).substr(split));
    EXPECT_TRUE(reader.done()) << split;
    EXPECT_EQ(reader.message(), "line one\r\n.two\r\n") << split;
    EXPECT_EQ(used, input.size() - 4) << split;
  }
}

TEST(DataReader, CountsPastLimitButKeepsNothing) {
  DataReader reader(10);
  reader.feed("0123456789abcdef\r\n.\r\n");
  EXPECT_TRUE(reader.done());
  EXPECT_TRUE(reader.too_big());
  EXPECT_EQ(reader.size(), 18u);
  EXPECT_TRUE(reader.message().empty());
}

TEST(DataReader, FlagsNulAndEightBit) {
  DataReader reader(100);
  reader.feed(std::string("a\0b\xc3\xa9\r\n.\r\n", 10));
  EXPECT_TRUE(reader.done());
  EXPECT_TRUE(reader.has_nul());
  EXPECT_TRUE(reader.has_8bit());
}

}  // namespace
}  // namespace pw::smtp
