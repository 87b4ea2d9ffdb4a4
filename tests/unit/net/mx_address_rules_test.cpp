// Which MX addresses mail may go to (issue 15, item 10): never the gateway itself, never
// loopback unless allowed, private ranges only when allowed.
#include "net/mx_address_rules.hpp"

#include <gtest/gtest.h>

namespace pw::net {
namespace {

namespace asio = boost::asio;

RouteTarget target(const char* host, const char* address, uint16_t port, uint16_t preference) {
  return RouteTarget{host, asio::ip::make_address(address), port, preference};
}

MxAddressRules rules(std::vector<std::string> listeners, bool loopback, bool private_ok = true) {
  auto made = MxAddressRules::make(listeners, loopback, private_ok);
  EXPECT_TRUE(made) << made.error().message;
  return *made;
}

TEST(MxAddressRulesTest, TheBestMxBeingTheGatewayIsALoop) {
  auto r = rules({"127.0.0.1:2525", "[::1]:4650"}, true);
  auto route = screen_mx_targets({target("mx.loop.test", "127.0.0.1", 2525, 10)}, r, "loop.test");
  ASSERT_FALSE(route);
  EXPECT_TRUE(route.error().permanent);
  EXPECT_EQ(route.error().status, "5.4.6");
  EXPECT_NE(route.error().reason.find("loops back to myself"), std::string::npos);

  auto v6 = screen_mx_targets({target("mx.loop.test", "::1", 4650, 0)}, r, "loop.test");
  ASSERT_FALSE(v6);
  EXPECT_EQ(v6.error().status, "5.4.6");
}

TEST(MxAddressRulesTest, OnlyHostsBetterThanTheGatewayAreTried) {
  auto r = rules({"127.0.0.1:2525"}, true);
  auto route = screen_mx_targets(
      {target("mx1.t", "127.0.0.11", 2525, 10), target("self.t", "127.0.0.1", 2525, 20),
       target("mx3.t", "127.0.0.13", 2525, 30)},
      r, "t");
  ASSERT_TRUE(route);
  ASSERT_EQ(route->size(), 1u);
  EXPECT_EQ(route->front().host, "mx1.t");
}

TEST(MxAddressRulesTest, AnUnspecifiedListenerIsEveryLocalAddress) {
  auto r = rules({"0.0.0.0:25"}, true);
  ASSERT_FALSE(screen_mx_targets({target("a", "127.0.0.5", 25, 0)}, r, "t"));
  // Another port on this machine is another server (a test receiver), not the gateway.
  EXPECT_TRUE(screen_mx_targets({target("a", "127.0.0.5", 2626, 0)}, r, "t"));
  // An IPv4-mapped address is the IPv4 address.
  auto mapped = rules({"127.0.0.1:25"}, true);
  EXPECT_FALSE(screen_mx_targets({target("a", "::ffff:127.0.0.1", 25, 0)}, mapped, "t"));
}

TEST(MxAddressRulesTest, LoopbackAndLinkLocalAreRefusedUnlessAllowed) {
  auto strict = rules({"192.0.2.1:25"}, false);
  for (const char* address : {"127.0.0.1", "127.5.5.5", "::1", "169.254.1.1", "fe80::1", "0.0.0.0",
                              "::", "::ffff:127.0.0.1", "224.0.0.1"}) {
    auto route = screen_mx_targets({target("mx.h", address, 25, 10)}, strict, "h");
    ASSERT_FALSE(route) << address;
    EXPECT_EQ(route.error().status, "5.4.4") << address;
    EXPECT_TRUE(route.error().permanent);
  }
  // A public address beside it is still used.
  auto mixed = screen_mx_targets(
      {target("mx.h", "127.0.0.1", 25, 10), target("mx2.h", "192.0.2.55", 25, 20)}, strict, "h");
  ASSERT_TRUE(mixed);
  EXPECT_EQ(mixed->front().host, "mx2.h");
  EXPECT_TRUE(screen_mx_targets({target("mx.h", "127.0.0.1", 25, 10)}, rules({}, true), "h"));
}

TEST(MxAddressRulesTest, PrivateRangesFollowTheirSetting) {
  auto closed = rules({}, false, false);
  for (const char* address : {"10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                              "100.64.0.1", "fd00::1", "fc00::5"}) {
    EXPECT_TRUE(is_private_range(asio::ip::make_address(address))) << address;
    EXPECT_FALSE(screen_mx_targets({target("mx", address, 25, 1)}, closed, "p")) << address;
    EXPECT_TRUE(screen_mx_targets({target("mx", address, 25, 1)}, rules({}, false, true), "p"))
        << address;
  }
  for (const char* address : {"172.32.0.1", "8.8.8.8", "2001:db8::1", "100.128.0.1"}) {
    EXPECT_FALSE(is_private_range(asio::ip::make_address(address))) << address;
  }
}

TEST(MxAddressRulesTest, BadListenersAreRefused) {
  EXPECT_FALSE(MxAddressRules::make({"localhost"}, false, true));
  EXPECT_FALSE(MxAddressRules::make({"127.0.0.1:99999"}, false, true));
  EXPECT_FALSE(MxAddressRules::make({"nonsense:25"}, false, true));
}

}  // namespace
}  // namespace pw::net
