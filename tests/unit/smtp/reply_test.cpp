// Proves the wire form of replies, single- and multi-line, with and without enhanced codes.
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

}  // namespace
}  // namespace pw::smtp
