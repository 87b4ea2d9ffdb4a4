// DNSBL (F-IPREP): query names, answer codes, the TTL cache, and the client against a real
// dnsmasq serving a block-list zone (and a socket that never answers, for the deadline).
#include "net/dnsbl_client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "../registry_defaults.hpp"
#include "dnsmasq_server.hpp"
#include "run_awaitable.hpp"

namespace pw::net {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using test::run_awaitable;
using Clock = std::chrono::steady_clock;

asio::ip::address ip(const char* text) { return asio::ip::make_address(text); }

AddressAnswer answer_of(DnsStatus status, std::vector<const char*> records = {}) {
  AddressAnswer answer;
  answer.status = status;
  for (const char* record : records) answer.records.push_back(ip(record));
  if (status == DnsStatus::kTempFail) answer.reason = "timeout";
  return answer;
}

DnsblZoneResult zone_result(const char* zone, DnsblStatus status) {
  DnsblZoneResult result;
  result.zone = zone;
  result.weight = 1;
  result.status = status;
  return result;
}

TEST(DnsblQueryName, ReversesIpv4Octets) {
  EXPECT_EQ(dnsbl_query_name(ip("192.0.2.99"), "bl.test"), "99.2.0.192.bl.test");
  EXPECT_EQ(dnsbl_query_name(ip("127.0.0.2"), "zen.example.org"), "2.0.0.127.zen.example.org");
}

TEST(DnsblQueryName, ReversesIpv6NibblesAsRfc5782Says) {
  // RFC 5782 2.4: 2001:db8:1:2:3:4:567:89ab.
  EXPECT_EQ(dnsbl_query_name(ip("2001:db8:1:2:3:4:567:89ab"), "ugly.example.com"),
            "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ugly.example.com");
  EXPECT_EQ(dnsbl_query_name(ip("::1"), "bl.test"),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.bl.test");
}

TEST(DnsblQueryName, AsksAV4MappedAddressAsIpv4) {
  EXPECT_EQ(dnsbl_query_name(ip("::ffff:192.0.2.1"), "bl.test"), "1.2.0.192.bl.test");
}

TEST(DnsblZoneSpec, ParsesZoneAndWeight) {
  auto plain = parse_dnsbl_zone("bl.test");
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_EQ(plain->zone, "bl.test");
  EXPECT_DOUBLE_EQ(plain->weight, 1.0);
  auto weighted = parse_dnsbl_zone("Zen.Example.ORG.=0.5");
  ASSERT_TRUE(weighted) << weighted.error().message;
  EXPECT_EQ(weighted->zone, "zen.example.org");
  EXPECT_DOUBLE_EQ(weighted->weight, 0.5);
}

TEST(DnsblZoneSpec, RefusesBadZonesAndWeights) {
  for (const char* bad : {"", "=1", "bl.test=", "bl.test=abc", "bl.test=-1", "bl.test=1001",
                          "bl.test=0.5x", "nodot", "bad zone.test", "bl..test", "-bl.test"}) {
    auto parsed = parse_dnsbl_zone(bad);
    EXPECT_FALSE(parsed) << bad;
    if (!parsed) EXPECT_EQ(parsed.error().message.find('\n'), std::string::npos);
  }
}

TEST(DnsblClassify, NxDomainAndNoDataAreNotListed) {
  EXPECT_EQ(classify_dnsbl_answer(answer_of(DnsStatus::kNxDomain)).status, DnsblStatus::kNotListed);
  EXPECT_EQ(classify_dnsbl_answer(answer_of(DnsStatus::kNoData)).status, DnsblStatus::kNotListed);
}

TEST(DnsblClassify, LoopbackCodesAreListings) {
  auto c = classify_dnsbl_answer(answer_of(DnsStatus::kOk, {"127.0.0.2", "127.0.0.10"}));
  EXPECT_EQ(c.status, DnsblStatus::kListed);
  EXPECT_EQ(c.codes, (std::vector<std::string>{"127.0.0.2", "127.0.0.10"}));
  EXPECT_TRUE(c.ignored.empty());
}

TEST(DnsblClassify, SpamhausErrorCodesAndForeignAddressesAreNeverListings) {
  auto refused = classify_dnsbl_answer(answer_of(DnsStatus::kOk, {"127.255.255.254"}));
  EXPECT_EQ(refused.status, DnsblStatus::kError);
  EXPECT_EQ(refused.ignored, (std::vector<std::string>{"127.255.255.254"}));
  auto foreign = classify_dnsbl_answer(answer_of(DnsStatus::kOk, {"192.0.2.1"}));
  EXPECT_EQ(foreign.status, DnsblStatus::kError);
  auto v6 = classify_dnsbl_answer(answer_of(DnsStatus::kOk, {"::1"}));
  EXPECT_EQ(v6.status, DnsblStatus::kError);
  auto mixed = classify_dnsbl_answer(answer_of(DnsStatus::kOk, {"127.255.255.252", "127.0.0.4"}));
  EXPECT_EQ(mixed.status, DnsblStatus::kListed);
  EXPECT_EQ(mixed.codes, (std::vector<std::string>{"127.0.0.4"}));
  EXPECT_EQ(mixed.ignored, (std::vector<std::string>{"127.255.255.252"}));
}

TEST(DnsblClassify, NoAnswerIsAnErrorNotAListing) {
  auto c = classify_dnsbl_answer(answer_of(DnsStatus::kTempFail));
  EXPECT_EQ(c.status, DnsblStatus::kError);
  EXPECT_EQ(c.error, "timeout");
}

TEST(DnsblResultSums, AddsTheWeightsOfListedZonesOnly) {
  DnsblResult result;
  result.zones = {
      zone_result("a.test", DnsblStatus::kListed), zone_result("b.test", DnsblStatus::kNotListed),
      zone_result("c.test", DnsblStatus::kListed), zone_result("d.test", DnsblStatus::kError)};
  result.zones[2].weight = 0.5;
  EXPECT_DOUBLE_EQ(result.listed_weight(), 1.5);
  EXPECT_EQ(result.listed_zones(), "a.test, c.test");
}

TEST(DnsblCacheTest, KeepsAnAnswerUntilItsTtlEnds) {
  DnsblCache cache(10);
  auto t0 = Clock::now();
  cache.store("127.0.0.2", zone_result("bl.test", DnsblStatus::kListed), t0 + 300s);
  auto hit = cache.find("bl.test", "127.0.0.2", t0 + 299s);
  ASSERT_TRUE(hit);
  EXPECT_TRUE(hit->from_cache);
  EXPECT_EQ(hit->status, DnsblStatus::kListed);
  EXPECT_FALSE(cache.find("bl.test", "127.0.0.3", t0));   // another IP
  EXPECT_FALSE(cache.find("bl2.test", "127.0.0.2", t0));  // another zone
  EXPECT_FALSE(cache.find("bl.test", "127.0.0.2", t0 + 300s));
  EXPECT_EQ(cache.size(), 0u);  // the expired entry is gone
}

TEST(DnsblCacheTest, DropsTheLeastRecentlyUsedWhenFull) {
  DnsblCache cache(2);
  auto t0 = Clock::now();
  cache.store("127.0.0.1", zone_result("bl.test", DnsblStatus::kNotListed), t0 + 60s);
  cache.store("127.0.0.2", zone_result("bl.test", DnsblStatus::kListed), t0 + 60s);
  ASSERT_TRUE(cache.find("bl.test", "127.0.0.1", t0));  // now the most recently used
  cache.store("127.0.0.3", zone_result("bl.test", DnsblStatus::kNotListed), t0 + 60s);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_TRUE(cache.find("bl.test", "127.0.0.1", t0));
  EXPECT_FALSE(cache.find("bl.test", "127.0.0.2", t0));
  EXPECT_TRUE(cache.find("bl.test", "127.0.0.3", t0));
}

TEST(DnsblCacheTest, ReplacesAnEntryAndCapacityZeroKeepsNothing) {
  DnsblCache cache(4);
  auto t0 = Clock::now();
  cache.store("127.0.0.2", zone_result("bl.test", DnsblStatus::kNotListed), t0 + 60s);
  cache.store("127.0.0.2", zone_result("bl.test", DnsblStatus::kListed), t0 + 60s);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.find("bl.test", "127.0.0.2", t0)->status, DnsblStatus::kListed);
  DnsblCache off(0);
  off.store("127.0.0.2", zone_result("bl.test", DnsblStatus::kListed), t0 + 60s);
  EXPECT_EQ(off.size(), 0u);
  EXPECT_FALSE(off.find("bl.test", "127.0.0.2", t0));
}

// ---- The client against dnsmasq.

std::vector<std::string> block_list_zone() {
  return {
      "--host-record=2.0.0.127.bl.test,127.0.0.2",
      "--txt-record=2.0.0.127.bl.test,Listed for testing: see https://bl.test/q?127.0.0.2",
      "--host-record=2.0.0.127.bl2.test,127.0.0.4",
      "--host-record=3.0.0.127.bl.test,127.255.255.254",
      "--host-record=1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.bl.test,"
      "127.0.0.3",
  };
}

class DnsblClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = test::DnsmasqServer::start(block_list_zone(), error_); }
  static void TearDownTestSuite() { server_.reset(); }
  void SetUp() override { ASSERT_TRUE(server_) << error_; }

  std::shared_ptr<DnsblClient> make_client(std::vector<const char*> zones, std::string server = "",
                                           std::chrono::milliseconds timeout = 2000ms) {
    DnsOptions dns = DnsOptions::from(test::registry_defaults().delivery);
    dns.servers = {server.empty() ? server_->address() : server};
    dns.cache_entries = 0;
    dns.tries = 1;
    dns.timeout = timeout;
    auto resolver = DnsResolver::create(io_.get_executor(), dns);
    EXPECT_TRUE(resolver) << resolver.error().message;
    DnsblOptions options = DnsblOptions::from(test::registry_defaults().ip_reputation).value();
    for (const char* zone : zones) options.zones.push_back(parse_dnsbl_zone(zone).value());
    options.timeout = timeout;
    return std::make_shared<DnsblClient>(*resolver, options);
  }

  asio::io_context io_;
  static inline std::unique_ptr<test::DnsmasqServer> server_;
  static inline std::string error_;
};

TEST_F(DnsblClientTest, FindsAListingWithItsCodeAndText) {
  auto client = make_client({"bl.test"});
  auto result = run_awaitable(io_, client->lookup("127.0.0.2"));
  ASSERT_TRUE(result);
  ASSERT_EQ(result->zones.size(), 1u);
  const auto& zone = result->zones[0];
  EXPECT_EQ(zone.status, DnsblStatus::kListed) << zone.error;
  EXPECT_EQ(zone.codes, (std::vector<std::string>{"127.0.0.2"}));
  EXPECT_EQ(zone.text, "Listed for testing: see https://bl.test/q?127.0.0.2");
  EXPECT_EQ(result->queries, 1u);
  EXPECT_DOUBLE_EQ(result->listed_weight(), 1.0);
}

TEST_F(DnsblClientTest, AnUnlistedAddressIsNotListed) {
  auto client = make_client({"bl.test"});
  auto result = run_awaitable(io_, client->lookup("127.0.0.1"));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->zones[0].status, DnsblStatus::kNotListed) << result->zones[0].error;
  EXPECT_DOUBLE_EQ(result->listed_weight(), 0);
}

TEST_F(DnsblClientTest, AnErrorCodeIsNoListing) {
  auto client = make_client({"bl.test"});
  auto result = run_awaitable(io_, client->lookup("127.0.0.3"));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->zones[0].status, DnsblStatus::kError);
  EXPECT_EQ(result->zones[0].ignored, (std::vector<std::string>{"127.255.255.254"}));
}

TEST_F(DnsblClientTest, AsksIpv6ByNibbles) {
  auto client = make_client({"bl.test"});
  auto result = run_awaitable(io_, client->lookup("::1"));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->zones[0].status, DnsblStatus::kListed) << result->zones[0].error;
}

TEST_F(DnsblClientTest, AsksEveryZoneAndWeighsThem) {
  auto client = make_client({"bl.test=0.5", "bl2.test=0.25", "bl3.test"});
  auto result = run_awaitable(io_, client->lookup("127.0.0.2"));
  ASSERT_TRUE(result);
  ASSERT_EQ(result->zones.size(), 3u);
  EXPECT_EQ(result->zones[0].status, DnsblStatus::kListed);
  EXPECT_EQ(result->zones[1].status, DnsblStatus::kListed);
  EXPECT_EQ(result->zones[1].codes, (std::vector<std::string>{"127.0.0.4"}));
  EXPECT_EQ(result->zones[2].status, DnsblStatus::kNotListed);
  EXPECT_EQ(result->queries, 3u);
  EXPECT_DOUBLE_EQ(result->listed_weight(), 0.75);
  EXPECT_EQ(result->listed_zones(), "bl.test, bl2.test");
}

TEST_F(DnsblClientTest, TheSecondLookupComesFromTheCache) {
  auto client = make_client({"bl.test", "bl2.test"});
  auto cold = run_awaitable(io_, client->lookup("127.0.0.2"));
  ASSERT_TRUE(cold);
  EXPECT_EQ(cold->queries, 2u);
  auto warm = run_awaitable(io_, client->lookup("127.0.0.2"));
  ASSERT_TRUE(warm);
  EXPECT_EQ(warm->queries, 0u);
  EXPECT_TRUE(warm->zones[0].from_cache);
  EXPECT_EQ(warm->zones[0].status, DnsblStatus::kListed);
  EXPECT_EQ(warm->zones[0].text, cold->zones[0].text);
  // A negative answer is kept too (the SOA's TTL or negative_ttl).
  ASSERT_TRUE(run_awaitable(io_, client->lookup("127.0.0.1")));
  auto negative = run_awaitable(io_, client->lookup("127.0.0.1"));
  ASSERT_TRUE(negative);
  EXPECT_EQ(negative->queries, 0u);
  EXPECT_EQ(negative->zones[0].status, DnsblStatus::kNotListed);
  EXPECT_EQ(client->cached(), 4u);
  std::cout << "dnsblclient: cold " << cold->elapsed.count() << " us, cached "
            << warm->elapsed.count() << " us\n";
}

TEST_F(DnsblClientTest, ASilentServerIsAnErrorWithinTheTimeout) {
  asio::ip::udp::socket silent(io_, asio::ip::udp::endpoint(ip("127.0.0.1"), 0));
  auto client = make_client({"bl.test"},
                            "127.0.0.1:" + std::to_string(silent.local_endpoint().port()), 300ms);
  auto started = Clock::now();
  auto result = run_awaitable(io_, client->lookup("127.0.0.2"));
  ASSERT_TRUE(result);
  EXPECT_LT(Clock::now() - started, 3s);
  EXPECT_EQ(result->zones[0].status, DnsblStatus::kError);
  EXPECT_FALSE(result->zones[0].error.empty());
  EXPECT_EQ(client->cached(), 0u);  // failures are not kept
}

TEST_F(DnsblClientTest, ANameThatIsNoAddressIsAnError) {
  auto client = make_client({"bl.test"});
  auto result = run_awaitable(io_, client->lookup("unknown"));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->zones[0].status, DnsblStatus::kError);
}

}  // namespace
// Issue 16 item 5: the options come from [ip_reputation] only; a zone that does not parse is a
// clear one-line error naming the setting.
TEST(DnsblOptionsFrom, TakesEveryValueFromTheConfigAndRefusesABadZone) {
  config::IpReputationConfig c = test::registry_defaults().ip_reputation;
  c.zones = {"zen.example.org=2", "bl.example.net"};
  c.timeout_ms = 750;
  c.cache_max_entries = 12;
  c.negative_ttl_s = 90;
  auto o = DnsblOptions::from(c);
  ASSERT_TRUE(o) << o.error().message;
  ASSERT_EQ(o->zones.size(), 2u);
  EXPECT_EQ(o->timeout, std::chrono::milliseconds(750));
  EXPECT_EQ(o->cache_entries, 12u);
  EXPECT_EQ(o->negative_ttl, std::chrono::seconds(90));
  c.zones = {"not a zone"};
  auto bad = DnsblOptions::from(c);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message.rfind("ip_reputation.zones: ", 0), 0u) << bad.error().message;
  EXPECT_EQ(bad.error().message.find('\n'), std::string::npos);
}

}  // namespace pw::net
