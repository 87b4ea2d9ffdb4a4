// DnsResolver against a real dnsmasq on 127.0.0.1, and against a socket that never answers.
#include "net/dns_resolver.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <optional>

#include "../registry_defaults.hpp"
#include "dnsmasq_server.hpp"
#include "run_awaitable.hpp"

namespace pw::net {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using test::run_awaitable;

// A resolver's give-up time against a silent server in these tests, and the bound we assert.
constexpr std::chrono::milliseconds kShortTimeout{200};
constexpr std::chrono::seconds kGiveUpBound{3};

asio::ip::address ip(const char* text) { return asio::ip::make_address(text); }

std::vector<std::string> exchanges(const MxAnswer& answer) {
  std::vector<std::string> names;
  for (const auto& record : answer.records) {
    names.push_back(std::to_string(record.preference) + " " + record.exchange);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// A UDP socket on loopback that takes queries and never answers.
class SilentServer {
 public:
  explicit SilentServer(asio::io_context& io)
      : socket_(io, asio::ip::udp::endpoint(ip("127.0.0.1"), 0)) {}
  std::string address() const {
    return "127.0.0.1:" + std::to_string(socket_.local_endpoint().port());
  }

 private:
  asio::ip::udp::socket socket_;
};

class DnsResolverTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = test::DnsmasqServer::start(test::mail_test_zone(), error_);
  }
  static void TearDownTestSuite() { server_.reset(); }
  void SetUp() override { ASSERT_TRUE(server_) << error_; }

  // The registry's [delivery] DNS options, changed by `adjust`.
  std::shared_ptr<DnsResolver> make_resolver(
      const std::function<void(DnsOptions&)>& adjust = nullptr) {
    DnsOptions options = DnsOptions::from(test::registry_defaults().delivery);
    if (adjust) adjust(options);
    if (options.servers.empty()) options.servers = {server_->address()};
    auto created = DnsResolver::create(io_.get_executor(), std::move(options));
    EXPECT_TRUE(created) << created.error().message;
    return created ? *created : nullptr;
  }

  asio::io_context io_;
  static inline std::unique_ptr<test::DnsmasqServer> server_;
  static inline std::string error_;
};

TEST_F(DnsResolverTest, ReturnsMxRecords) {
  auto resolver = make_resolver();
  auto answer = run_awaitable(io_, resolver->mx("Example.TEST."));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, DnsStatus::kOk) << answer->reason;
  EXPECT_EQ(exchanges(*answer),
            (std::vector<std::string>{"10 mx1.example.test", "10 mx2.example.test",
                                      "20 backup.example.test"}));
  EXPECT_EQ(answer->ttl, std::chrono::seconds(test::kDnsmasqTtl));
  EXPECT_FALSE(answer->from_cache);
}

TEST_F(DnsResolverTest, NullMxHasRootExchange) {
  auto resolver = make_resolver();
  auto answer = run_awaitable(io_, resolver->mx("nullmx.test"));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, DnsStatus::kOk);
  EXPECT_EQ(exchanges(*answer), (std::vector<std::string>{"0 ."}));
}

TEST_F(DnsResolverTest, DropsMalformedMxHostNames) {
  auto resolver = make_resolver();
  auto answer = run_awaitable(io_, resolver->mx("badmx.test"));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, DnsStatus::kOk);
  EXPECT_EQ(exchanges(*answer), (std::vector<std::string>{"20 mx2.example.test"}));
  EXPECT_EQ(answer->dropped, 1u);
}

TEST_F(DnsResolverTest, AddressesReturnsIpv4ThenIpv6) {
  auto resolver = make_resolver();
  auto answer = run_awaitable(io_, resolver->addresses("dual.test"));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, DnsStatus::kOk) << answer->reason;
  EXPECT_EQ(answer->records, (std::vector<asio::ip::address>{ip("127.0.0.22"), ip("::1")}));
}

TEST_F(DnsResolverTest, AddressesOfOneFamilyAreEnough) {
  auto resolver = make_resolver();
  auto answer = run_awaitable(io_, resolver->addresses("mx1.example.test"));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, DnsStatus::kOk);
  EXPECT_EQ(answer->records, (std::vector<asio::ip::address>{ip("127.0.0.11")}));
}

TEST_F(DnsResolverTest, AAsksOnlyForIpv4) {
  auto resolver = make_resolver();
  auto answer = run_awaitable(io_, resolver->a("dual.test"));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, DnsStatus::kOk);
  EXPECT_EQ(answer->records, (std::vector<asio::ip::address>{ip("127.0.0.22")}));
}

TEST_F(DnsResolverTest, TxtRecordsAreJoined) {
  auto resolver = make_resolver();
  auto answer = run_awaitable(io_, resolver->txt("txt.test"));
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->status, DnsStatus::kOk) << answer->reason;
  auto records = answer->records;
  std::sort(records.begin(), records.end());
  EXPECT_EQ(records, (std::vector<std::string>{"second record", "v=spf1 -all"}));
}

TEST_F(DnsResolverTest, TruncatedReplyIsAskedAgainOverTcp) {
  auto resolver = make_resolver();
  auto answer = run_awaitable(io_, resolver->txt("big.test"));
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->status, DnsStatus::kOk) << answer->reason;
  EXPECT_EQ(answer->records,
            (std::vector<std::string>{std::string(250, 'a') + std::string(250, 'b') +
                                      std::string(250, 'c')}));
}

TEST_F(DnsResolverTest, ConcurrentLookUpsAllComplete) {
  constexpr int kLookUps = 50;
  auto resolver = make_resolver([](DnsOptions& o) { o.cache_entries = 0; });
  int done = 0;
  for (int i = 0; i < kLookUps; ++i) {
    asio::co_spawn(
        io_,
        [&done, lookup = resolver->mx(i % 2 ? "example.test"
                                            : "big.test")]() mutable -> asio::awaitable<void> {
          auto answer = co_await std::move(lookup);
          if (answer.status != DnsStatus::kTempFail) ++done;
        },
        asio::detached);
  }
  io_.run_for(kGiveUpBound);
  EXPECT_EQ(done, kLookUps);
}

TEST_F(DnsResolverTest, ExistingNameWithoutThatTypeIsNoData) {
  auto resolver = make_resolver();
  auto mx = run_awaitable(io_, resolver->mx("implicit.test"));
  ASSERT_TRUE(mx);
  EXPECT_EQ(mx->status, DnsStatus::kNoData);
  auto addresses = run_awaitable(io_, resolver->addresses("txt.test"));
  ASSERT_TRUE(addresses);
  EXPECT_EQ(addresses->status, DnsStatus::kNoData);
}

TEST_F(DnsResolverTest, UnknownNameIsNxDomain) {
  auto resolver = make_resolver();
  auto mx = run_awaitable(io_, resolver->mx("nowhere.test"));
  ASSERT_TRUE(mx);
  EXPECT_EQ(mx->status, DnsStatus::kNxDomain);
  EXPECT_EQ(mx->reason, "NXDOMAIN");
  auto addresses = run_awaitable(io_, resolver->addresses("nowhere.test"));
  ASSERT_TRUE(addresses);
  EXPECT_EQ(addresses->status, DnsStatus::kNxDomain);
}

TEST_F(DnsResolverTest, InvalidNameIsRefusedWithoutQuery) {
  auto resolver = make_resolver();
  for (const char* name : {"", "bad name.test", "a..test", "back\\slash.test"}) {
    auto answer = run_awaitable(io_, resolver->mx(name));
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, DnsStatus::kNxDomain) << name;
    EXPECT_EQ(answer->reason, "invalid name") << name;
  }
  EXPECT_EQ(resolver->cached_answers(), 0u);
}

TEST_F(DnsResolverTest, RefusedQueryIsTemporaryFailure) {
  auto resolver = make_resolver();
  // dnsmasq has no upstream server: a name outside .test is REFUSED.
  auto answer = run_awaitable(io_, resolver->mx("example.org"));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, DnsStatus::kTempFail);
  // c-ares 1.18 reports a REFUSED reply from its last server as ARES_ECONNREFUSED.
  EXPECT_FALSE(answer->reason.empty());
}

TEST_F(DnsResolverTest, UnansweredServerIsTemporaryFailure) {
  SilentServer silent(io_);
  auto resolver = make_resolver([&](DnsOptions& o) {
    o.servers = {silent.address()};
    o.timeout = kShortTimeout;
  });
  auto start = std::chrono::steady_clock::now();
  auto answer = run_awaitable(io_, resolver->addresses("example.test"));
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, DnsStatus::kTempFail);
  EXPECT_NE(answer->reason.find("timeout"), std::string::npos) << answer->reason;
  EXPECT_LT(elapsed, kGiveUpBound);
  EXPECT_EQ(resolver->cached_answers(), 0u);  // a failure is not remembered
}

TEST_F(DnsResolverTest, CachesAnswersWithinTtl) {
  std::string error;
  auto own_server = test::DnsmasqServer::start(test::mail_test_zone(), error);
  ASSERT_TRUE(own_server) << error;
  auto resolver = make_resolver([&](DnsOptions& o) {
    o.servers = {own_server->address()};
    o.timeout = kShortTimeout;
  });
  auto first = run_awaitable(io_, resolver->mx("example.test"));
  auto missing = run_awaitable(io_, resolver->mx("nowhere.test"));
  ASSERT_TRUE(first && missing);
  ASSERT_EQ(first->status, DnsStatus::kOk);
  ASSERT_EQ(missing->status, DnsStatus::kNxDomain);
  own_server->stop();

  auto again = run_awaitable(io_, resolver->mx("example.test"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, DnsStatus::kOk);
  EXPECT_TRUE(again->from_cache);
  EXPECT_EQ(exchanges(*again), exchanges(*first));
  EXPECT_GT(again->ttl.count(), 0);
  EXPECT_LE(again->ttl, first->ttl);
  // Negative answers too, for the default negative TTL (dnsmasq sends no SOA).
  auto missing_again = run_awaitable(io_, resolver->mx("nowhere.test"));
  ASSERT_TRUE(missing_again);
  EXPECT_EQ(missing_again->status, DnsStatus::kNxDomain);
  EXPECT_TRUE(missing_again->from_cache);
  EXPECT_EQ(missing_again->ttl, 60s);
  // What was never asked is not there.
  auto other = run_awaitable(io_, resolver->mx("implicit.test"));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, DnsStatus::kTempFail);
}

TEST_F(DnsResolverTest, CacheEvictsLeastRecentlyUsed) {
  std::string error;
  auto own_server = test::DnsmasqServer::start(test::mail_test_zone(), error);
  ASSERT_TRUE(own_server) << error;
  auto resolver = make_resolver([&](DnsOptions& o) {
    o.servers = {own_server->address()};
    o.timeout = kShortTimeout;
    o.cache_entries = 2;
  });
  for (const char* name :
       {"mx1.example.test", "mx2.example.test", "mx1.example.test", "backup.example.test"}) {
    auto answer = run_awaitable(io_, resolver->a(name));
    ASSERT_TRUE(answer);
    ASSERT_EQ(answer->status, DnsStatus::kOk) << name;
  }
  EXPECT_EQ(resolver->cached_answers(), 2u);
  own_server->stop();
  auto kept = run_awaitable(io_, resolver->a("mx1.example.test"));
  auto newest = run_awaitable(io_, resolver->a("backup.example.test"));
  auto evicted = run_awaitable(io_, resolver->a("mx2.example.test"));
  ASSERT_TRUE(kept && newest && evicted);
  EXPECT_TRUE(kept->from_cache);
  EXPECT_TRUE(newest->from_cache);
  EXPECT_EQ(evicted->status, DnsStatus::kTempFail);
}

TEST_F(DnsResolverTest, DestroyingResolverWithPendingQueryIsSafe) {
  SilentServer silent(io_);
  auto resolver = make_resolver([&](DnsOptions& o) {
    o.servers = {silent.address()};
    o.timeout = 10s;
  });
  std::optional<AddressAnswer> answer;
  asio::co_spawn(
      io_,
      [&answer, lookup = resolver->addresses("example.test")]() mutable -> asio::awaitable<void> {
        answer = co_await std::move(lookup);
      },
      asio::detached);
  // Let the queries go out and the coroutine wait for them.
  io_.run_for(50ms);
  ASSERT_FALSE(answer);
  auto start = std::chrono::steady_clock::now();
  resolver.reset();
  io_.restart();
  io_.run_for(kGiveUpBound);
  ASSERT_TRUE(answer);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_EQ(answer->status, DnsStatus::kTempFail);
  EXPECT_NE(answer->reason.find("resolver destroyed"), std::string::npos) << answer->reason;
}

TEST_F(DnsResolverTest, LookUpStartedAfterResolverIsGoneFailsTemporarily) {
  auto resolver = make_resolver();
  auto lookup = resolver->mx("example.test");
  resolver.reset();
  auto answer = run_awaitable(io_, std::move(lookup));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, DnsStatus::kTempFail);
  EXPECT_EQ(answer->reason, "resolver destroyed");
}

TEST_F(DnsResolverTest, CancelledLookUpEndsAtOnce) {
  using namespace asio::experimental::awaitable_operators;
  SilentServer silent(io_);
  auto resolver = make_resolver([&](DnsOptions& o) {
    o.servers = {silent.address()};
    o.timeout = 10s;
  });
  auto start = std::chrono::steady_clock::now();
  auto race = [](std::shared_ptr<DnsResolver> resolver) -> asio::awaitable<bool> {
    asio::steady_timer deadline(co_await asio::this_coro::executor, 100ms);
    auto winner =
        co_await (resolver->mx("example.test") || deadline.async_wait(asio::use_awaitable));
    co_return winner.index() == 1;
  };
  auto timer_won = run_awaitable(io_, race(resolver));
  ASSERT_TRUE(timer_won);
  EXPECT_TRUE(*timer_won);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(DnsResolverOptions, RefusesMalformedServers) {
  asio::io_context io;
  for (const char* server : {"dns.example", "127.0.0.1:0", "127.0.0.1:70000", "[::1",
                             "::1:53:", "127.0.0.1,127.0.0.2"}) {
    auto created = DnsResolver::create(io.get_executor(), test::dns_options({server}));
    EXPECT_FALSE(created) << server;
  }
  for (const char* server : {"127.0.0.1", "127.0.0.1:5353", "[::1]:53", "::1"}) {
    auto created = DnsResolver::create(io.get_executor(), test::dns_options({server}));
    EXPECT_TRUE(created) << server << ": " << (created ? "" : created.error().message);
  }
}

TEST(DnsHostNames, AcceptsLdhNamesOnly) {
  for (const char* name :
       {"mx1.example.com", "a", "xn--bcher-kva.example", "1.2.3.4", "MX.Example.COM"}) {
    EXPECT_TRUE(is_valid_host_name(name)) << name;
  }
  std::string long_label(64, 'a');
  std::string long_name;
  while (long_name.size() < 254) long_name += "abcdefghi.";
  long_name += "com";
  for (std::string name : {std::string(""), std::string("."), std::string("-mx.example.com"),
                           std::string("mx-.example.com"), std::string("mx..example.com"),
                           std::string("mx.example.com."), std::string("_dmarc.example.com"),
                           std::string("mx example.com"), long_label + ".com", long_name}) {
    EXPECT_FALSE(is_valid_host_name(name)) << name;
  }
}

}  // namespace
}  // namespace pw::net
