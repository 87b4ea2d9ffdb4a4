// util::split_host_port: the one "host:port" parser of the listeners, the MX loop check and the
// resolver.
#include "util/host_port.hpp"

#include <gtest/gtest.h>

namespace pw::util {
namespace {

TEST(SplitHostPort, HostAndPortWithAndWithoutBrackets) {
  auto v4 = split_host_port("127.0.0.1:587");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 587);
  auto v6 = split_host_port("[::1]:25");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 25);
  auto any = split_host_port(":2525");
  ASSERT_TRUE(any);
  EXPECT_EQ(any->host, "");
}

TEST(SplitHostPort, RefusesAMissingOrBadPort) {
  EXPECT_EQ(split_host_port("127.0.0.1").error(), HostPortError::kNoPort);
  EXPECT_EQ(split_host_port("[::1]").error(), HostPortError::kNoPort);
  EXPECT_EQ(split_host_port("[::1").error(), HostPortError::kUnclosedBracket);
  for (const char* bad : {"a:0", "a:65536", "a:", "a:x", "a:25x", "[::1]x", "[::1]:"})
    EXPECT_EQ(split_host_port(bad).error(), HostPortError::kBadPort) << bad;
}

TEST(SplitHostPort, ADefaultPortAllowsAHostAloneAndABareIpv6) {
  auto host = split_host_port("192.0.2.1", 53);
  ASSERT_TRUE(host);
  EXPECT_EQ(host->port, 53);
  auto bare = split_host_port("2001:db8::1", 53);
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->host, "2001:db8::1");
  EXPECT_EQ(bare->port, 53);
  auto bracketed = split_host_port("[2001:db8::1]", 53);
  ASSERT_TRUE(bracketed);
  EXPECT_EQ(bracketed->host, "2001:db8::1");
  auto given = split_host_port("192.0.2.1:5353", 53);
  ASSERT_TRUE(given);
  EXPECT_EQ(given->port, 5353);
  EXPECT_EQ(split_host_port("192.0.2.1:", 53).error(), HostPortError::kBadPort);
}

}  // namespace
}  // namespace pw::util
