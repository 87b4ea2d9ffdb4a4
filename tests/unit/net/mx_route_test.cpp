// Mail routes (MX, implicit MX, null MX, fixed routes) against a real dnsmasq on 127.0.0.1.
#include "net/mx_route.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <optional>
#include <set>

#include "../registry_defaults.hpp"
#include "dnsmasq_server.hpp"
#include "net/dns_resolver.hpp"
#include "run_awaitable.hpp"
#include "util/unique_fd.hpp"

namespace pw::net {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using test::run_awaitable;

constexpr uint16_t kPort = 25;
constexpr int kShuffleRuns = 64;
constexpr std::chrono::milliseconds kShortTimeout{200};
constexpr std::chrono::seconds kGiveUpBound{3};

asio::ip::address ip(const char* text) { return asio::ip::make_address(text); }

std::vector<std::string> hosts_of(const std::vector<RouteTarget>& targets) {
  std::vector<std::string> hosts;
  for (const auto& target : targets) hosts.push_back(target.host);
  return hosts;
}

class MxRouteTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Names under slow.test go to an upstream server that never answers.
    silent_upstream_ = util::UniqueFd(::socket(AF_INET, SOCK_DGRAM, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (!silent_upstream_ ||
        ::bind(silent_upstream_.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) ||
        ::getsockname(silent_upstream_.get(), reinterpret_cast<sockaddr*>(&address), &length)) {
      error_ = "cannot bind the silent upstream socket";
      return;
    }
    auto zone = test::mail_test_zone();
    zone.push_back("--server=/slow.test/127.0.0.1#" + std::to_string(ntohs(address.sin_port)));
    zone.push_back("--mx-host=slowmx.test,mx.slow.test,10");
    zone.push_back("--mx-host=slowmx.test,mx1.example.test,20");
    server_ = test::DnsmasqServer::start(zone, error_);
  }
  static void TearDownTestSuite() {
    server_.reset();
    silent_upstream_.reset();
  }
  void SetUp() override {
    ASSERT_TRUE(server_) << error_;
    auto created = DnsResolver::create(io_.get_executor(), test::dns_options({server_->address()}));
    ASSERT_TRUE(created) << created.error().message;
    resolver_ = std::move(*created);
  }

  RouteResult route(const std::string& domain) {
    auto result = run_awaitable(io_, resolve_mail_route(*resolver_, domain, kPort, random_));
    EXPECT_TRUE(result) << "no result within the time limit for " << domain;
    return result ? *result : tl::unexpected(RouteFailure{false, "hung", {}});
  }

  RouteResult fixed(const std::string& host_port) {
    auto result = run_awaitable(io_, resolve_fixed_route(*resolver_, host_port));
    EXPECT_TRUE(result) << "no result within the time limit for " << host_port;
    return result ? *result : tl::unexpected(RouteFailure{false, "hung", {}});
  }

  asio::io_context io_;
  std::shared_ptr<DnsResolver> resolver_;
  std::mt19937 random_{20240501};
  static inline util::UniqueFd silent_upstream_;
  static inline std::unique_ptr<test::DnsmasqServer> server_;
  static inline std::string error_;
};

TEST_F(MxRouteTest, ResolvesMxInPreferenceOrder) {
  auto result = route("example.test");
  ASSERT_TRUE(result) << result.error().reason;
  ASSERT_EQ(result->size(), 4u);  // mx1, mx2 (preference 10), backup's IPv4 and IPv6 (20)
  std::set<std::string> first_two = {(*result)[0].host, (*result)[1].host};
  EXPECT_EQ(first_two, (std::set<std::string>{"mx1.example.test", "mx2.example.test"}));
  EXPECT_EQ((*result)[0].preference, 10);
  EXPECT_EQ((*result)[1].preference, 10);
  for (const auto& target : *result) {
    EXPECT_EQ(target.port, kPort);
    if (target.host == "mx1.example.test") EXPECT_EQ(target.address, ip("127.0.0.11"));
    if (target.host == "mx2.example.test") EXPECT_EQ(target.address, ip("127.0.0.12"));
  }
  EXPECT_EQ((*result)[2].host, "backup.example.test");
  EXPECT_EQ((*result)[2].address, ip("127.0.0.13"));
  EXPECT_EQ((*result)[2].preference, 20);
  EXPECT_EQ((*result)[3].host, "backup.example.test");
  EXPECT_EQ((*result)[3].address, ip("::1"));
}

TEST_F(MxRouteTest, RandomisesEqualPreference) {
  std::set<std::vector<std::string>> orders;
  for (int run = 0; run < kShuffleRuns; ++run) {
    auto result = route("example.test");
    ASSERT_TRUE(result) << result.error().reason;
    orders.insert(hosts_of(*result));
    EXPECT_EQ(hosts_of(*result).back(), "backup.example.test");
  }
  EXPECT_EQ(orders.size(), 2u);  // mx1 first and mx2 first; backup always last
}

TEST_F(MxRouteTest, KeepsIpv4AndIpv6AddressesOfAHost) {
  auto result = fixed("[dual.test]:2525");
  ASSERT_TRUE(result) << result.error().reason;
  ASSERT_EQ(result->size(), 2u);
  EXPECT_EQ((*result)[0].address, ip("127.0.0.22"));
  EXPECT_EQ((*result)[1].address, ip("::1"));
  EXPECT_EQ((*result)[1].port, 2525);
}

TEST_F(MxRouteTest, FallsBackToImplicitMx) {
  auto result = route("implicit.test");
  ASSERT_TRUE(result) << result.error().reason;
  ASSERT_EQ(result->size(), 1u);
  EXPECT_EQ((*result)[0].host, "implicit.test");
  EXPECT_EQ((*result)[0].address, ip("127.0.0.21"));
  EXPECT_EQ((*result)[0].preference, 0);
  EXPECT_EQ((*result)[0].port, kPort);
}

TEST_F(MxRouteTest, NullMxIsPermanentFailure) {
  auto result = route("nullmx.test");
  ASSERT_FALSE(result);
  EXPECT_TRUE(result.error().permanent);
  EXPECT_EQ(result.error().reason, "domain accepts no mail (null MX, RFC 7505)");
}

TEST_F(MxRouteTest, NxDomainIsPermanent) {
  auto result = route("nowhere.test");
  ASSERT_FALSE(result);
  EXPECT_TRUE(result.error().permanent);
  EXPECT_NE(result.error().reason.find("does not exist"), std::string::npos);
}

TEST_F(MxRouteTest, InvalidDomainIsPermanent) {
  auto result = route("bad domain.test");
  ASSERT_FALSE(result);
  EXPECT_TRUE(result.error().permanent);
  EXPECT_NE(result.error().reason.find("bad?domain.test"), std::string::npos)
      << result.error().reason;
}

TEST_F(MxRouteTest, DomainWithNeitherMxNorAddressIsPermanent) {
  auto result = route("txt.test");
  ASSERT_FALSE(result);
  EXPECT_TRUE(result.error().permanent);
  EXPECT_NE(result.error().reason.find("no MX and no A/AAAA"), std::string::npos);
}

TEST_F(MxRouteTest, SkipsMxHostsWithoutAddresses) {
  auto result = route("partial.test");
  ASSERT_TRUE(result) << result.error().reason;
  ASSERT_EQ(result->size(), 1u);
  EXPECT_EQ((*result)[0].host, "mx1.example.test");
  EXPECT_EQ((*result)[0].preference, 20);
}

TEST_F(MxRouteTest, UnresolvableMxHostsAreTemporaryFailure) {
  auto result = route("dangling.test");
  ASSERT_FALSE(result);
  EXPECT_FALSE(result.error().permanent);
  EXPECT_NE(result.error().reason.find("nowhere.test (NXDOMAIN)"), std::string::npos)
      << result.error().reason;
}

TEST_F(MxRouteTest, MalformedMxHostsAreSkipped) {
  auto result = route("badmx.test");
  ASSERT_TRUE(result) << result.error().reason;
  EXPECT_EQ(hosts_of(*result), (std::vector<std::string>{"mx2.example.test"}));
}

TEST_F(MxRouteTest, UnansweredServerIsTemporaryFailure) {
  asio::ip::udp::socket silent(io_, asio::ip::udp::endpoint(ip("127.0.0.1"), 0));
  auto created = DnsResolver::create(
      io_.get_executor(),
      test::dns_options({"127.0.0.1:" + std::to_string(silent.local_endpoint().port())},
                        kShortTimeout));
  ASSERT_TRUE(created);
  resolver_ = std::move(*created);
  auto start = std::chrono::steady_clock::now();
  auto result = route("example.test");
  EXPECT_LT(std::chrono::steady_clock::now() - start, kGiveUpBound);
  ASSERT_FALSE(result);
  EXPECT_FALSE(result.error().permanent);
  EXPECT_NE(result.error().reason.find("timeout"), std::string::npos) << result.error().reason;
}

TEST_F(MxRouteTest, ResolverDestroyedDuringRouteIsTemporaryFailure) {
  asio::ip::udp::socket silent(io_, asio::ip::udp::endpoint(ip("127.0.0.1"), 0));
  auto created = DnsResolver::create(
      io_.get_executor(),
      test::dns_options({"127.0.0.1:" + std::to_string(silent.local_endpoint().port())}));
  ASSERT_TRUE(created);
  resolver_ = std::move(*created);
  auto lookup = resolve_mail_route(*resolver_, "example.test", kPort, random_);
  std::optional<RouteResult> result;
  asio::co_spawn(
      io_,
      [&result, lookup = std::move(lookup)]() mutable -> asio::awaitable<void> {
        result = co_await std::move(lookup);
      },
      asio::detached);
  io_.poll();  // the MX query goes out to a server that never answers
  resolver_.reset();
  io_.restart();
  io_.run_for(kGiveUpBound);
  ASSERT_TRUE(result);
  ASSERT_FALSE(*result);
  EXPECT_FALSE(result->error().permanent);
  EXPECT_NE(result->error().reason.find("resolver destroyed"), std::string::npos);
}

TEST_F(MxRouteTest, CancelledRouteEndsWithTemporaryFailure) {
  asio::cancellation_signal signal;
  bool done = false;
  std::exception_ptr error;
  RouteResult result;
  asio::co_spawn(io_, resolve_mail_route(*resolver_, "slowmx.test", kPort, random_),
                 asio::bind_cancellation_slot(signal.slot(),
                                              [&](std::exception_ptr thrown, RouteResult route) {
                                                done = true;
                                                error = thrown;
                                                result = std::move(route);
                                              }));
  // The MX answer comes; the addresses of mx.slow.test never do.
  io_.run_for(200ms);
  ASSERT_FALSE(done);
  signal.emit(asio::cancellation_type::terminal);
  auto deadline = std::chrono::steady_clock::now() + 1s;
  while (!done && io_.run_one_until(deadline) > 0) {
  }
  ASSERT_TRUE(done);
  EXPECT_FALSE(error);  // not Asio's operation_aborted at the next co_await
  ASSERT_FALSE(result);
  EXPECT_FALSE(result.error().permanent);
  EXPECT_EQ(result.error().reason, "cancelled");
}

TEST_F(MxRouteTest, FixedRouteSkipsMxLookUp) {
  auto bracketed = fixed("[mx1.example.test]:2525");
  ASSERT_TRUE(bracketed) << bracketed.error().reason;
  ASSERT_EQ(bracketed->size(), 1u);
  EXPECT_EQ((*bracketed)[0].address, ip("127.0.0.11"));
  EXPECT_EQ((*bracketed)[0].port, 2525);
  auto plain = fixed("MX2.example.test:587");
  ASSERT_TRUE(plain) << plain.error().reason;
  EXPECT_EQ((*plain)[0].host, "mx2.example.test");
  EXPECT_EQ((*plain)[0].address, ip("127.0.0.12"));
  EXPECT_EQ((*plain)[0].port, 587);
  // example.test has MX records but no address of its own: a route is never an MX look-up.
  auto no_address = fixed("[example.test]");
  ASSERT_FALSE(no_address);
  EXPECT_FALSE(no_address.error().permanent);
}

TEST_F(MxRouteTest, FixedRouteTakesLiteralAddresses) {
  auto v4 = fixed("[127.0.0.5]:26");
  ASSERT_TRUE(v4);
  EXPECT_EQ((*v4)[0].address, ip("127.0.0.5"));
  EXPECT_EQ((*v4)[0].port, 26);
  auto v6 = fixed("[::1]:27");
  ASSERT_TRUE(v6);
  EXPECT_EQ((*v6)[0].address, ip("::1"));
  auto default_port = fixed("127.0.0.6");
  ASSERT_TRUE(default_port);
  EXPECT_EQ((*default_port)[0].port, 25);
}

TEST_F(MxRouteTest, MalformedFixedRouteIsTemporaryFailure) {
  auto result = fixed("[mx1.example.test:25");
  ASSERT_FALSE(result);
  EXPECT_FALSE(result.error().permanent);
}

TEST(FixedRouteSyntax, RefusesMalformedRoutes) {
  for (const char* text :
       {"", ":25", "[]:25", "host:0", "host:65536", "host:", "host:x", "::1:25", "[::1]25", "[::1",
        "[2001:db8::zz]:25", "bad_host:25", "bad host", "-host.example:25"}) {
    EXPECT_FALSE(parse_fixed_route(text)) << text;
  }
}

TEST(FixedRouteSyntax, ReadsHostAndPort) {
  auto route = parse_fixed_route("[Relay.Example.COM.]:587");
  ASSERT_TRUE(route) << route.error().message;
  EXPECT_EQ(route->host, "relay.example.com");
  EXPECT_EQ(route->port, 587);
  EXPECT_FALSE(route->is_address);
  auto address = parse_fixed_route("[2001:db8::1]");
  ASSERT_TRUE(address);
  EXPECT_EQ(address->host, "2001:db8::1");
  EXPECT_EQ(address->port, 25);
  EXPECT_TRUE(address->is_address);
}

}  // namespace
}  // namespace pw::net
