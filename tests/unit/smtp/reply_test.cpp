// Proves the wire form of replies, single- and multi-line, with and without enhanced codes, and
// that no line is longer than RFC 5321 allows.
#include "smtp/reply.hpp"

#include <gtest/gtest.h>

namespace pw::smtp {
namespace {

TEST(Reply, RendersEnhancedCode) {
  EXPECT_EQ(Reply(550, "5.7.1", "Relay not permitted!").render(),
            "550 5.7.1 Relay not permitted!\r\n");
}

TEST(Reply, RendersMultiLineWithContinuation) {
  EXPECT_EQ(Reply(250, "", std::vector<std::string>{"host", "PIPELINING", "8BITMIME"}).render(),
            "250-host\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
}

TEST(Reply, WrapsAnOverlongLineIntoContinuationLinesOf512OctetsAtMost) {
  std::string text;
  for (int i = 0; text.size() < 1200; ++i) text += "word" + std::to_string(i) + " ";
  std::string wire = Reply(550, "5.7.1", text).render();
  size_t pos = 0;
  int lines = 0;
  while (pos < wire.size()) {
    size_t end = wire.find("\r\n", pos);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end + 2 - pos, kMaxReplyLine);
    EXPECT_EQ(wire.substr(pos, 10), end + 2 == wire.size() ? "550 5.7.1 " : "550-5.7.1 ");
    pos = end + 2;
    ++lines;
  }
  EXPECT_EQ(lines, 3);
}

TEST(Reply, GreetingTimeRepliesWrapToo) {
  std::string wire = Reply(220, "", std::string(600, 'h')).render();
  EXPECT_EQ(wire, "220-" + std::string(506, 'h') + "\r\n220 " + std::string(94, 'h') + "\r\n");
}

}  // namespace
}  // namespace pw::smtp
