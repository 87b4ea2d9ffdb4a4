// Counting Received: fields for mail-loop detection (issue 15, item 10).
#include "smtp/trace_hops.hpp"

#include <gtest/gtest.h>

#include <string>

namespace pw::smtp {
namespace {

std::string with_received(int count, const std::string& name = "Received") {
  std::string message;
  for (int i = 0; i < count; ++i)
    message += name + ": from a.test by b.test with ESMTP id " + std::to_string(i) +
               ";\r\n\tMon, 1 Jan 2026 00:00:00 +0000\r\n";
  return message + "Subject: hi\r\n\r\nReceived: in the body does not count\r\n";
}

TEST(TraceHopsTest, CountsReceivedFieldsOfTheHeaderSectionOnly) {
  EXPECT_EQ(count_received_fields(with_received(0), 100), 0u);
  EXPECT_EQ(count_received_fields(with_received(3), 100), 3u);
  EXPECT_EQ(count_received_fields(with_received(3, "RECEIVED"), 100), 3u);
  EXPECT_EQ(count_received_fields(with_received(2, "Received "), 100), 2u);  // obsolete WSP
  EXPECT_EQ(count_received_fields(with_received(2, "Received-SPF"), 100), 0u);
  EXPECT_EQ(count_received_fields(with_received(2, "X-Received"), 100), 0u);
  // Bare LF line ends and a message without a body.
  EXPECT_EQ(count_received_fields("Received: x\nReceived: y\n", 100), 2u);
}

TEST(TraceHopsTest, StopsCountingAtTheBound) {
  std::string message = with_received(100000);
  EXPECT_EQ(count_received_fields(message, 51), 51u);
}

}  // namespace
}  // namespace pw::smtp
