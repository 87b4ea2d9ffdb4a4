// DNS block lists (DNSBL, RFC 5782) for the client IP of a session (F-IPREP): the reversed query
// name, what an answer means, a bounded TTL cache of answers, and a client that asks every zone
// at once with a deadline. Built on the c-ares resolver (net/dns_resolver.hpp).
// Trust: answers come from the network; only 127.0.0.0/8 codes count, TXT text is made printable.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "net/dns_resolver.hpp"
#include "util/expiring_lru.hpp"
#include "util/result.hpp"

namespace pw::net {

struct DnsblZone {
  std::string zone;  // lower-case, no final dot
  double weight = 1.0;
};

// "zone" or "zone=weight" (weight a decimal from 0 to 1000; 1 when left out).
Result<DnsblZone> parse_dnsbl_zone(std::string_view text);

// The name asked for `ip` in `zone`: "d.c.b.a.zone" for IPv4, the 32 nibbles of an IPv6 address
// in reverse order (RFC 5782 2.1 and 2.4). A v4-mapped IPv6 address is asked as IPv4.
std::string dnsbl_query_name(const boost::asio::ip::address& ip, std::string_view zone);

enum class DnsblStatus {
  kListed,     // an A record in 127.0.0.0/8 (not 127.255.255.x)
  kNotListed,  // NXDOMAIN or no A record
  kError,      // no answer (time-out, SERVFAIL) or only codes that are not listings
};
std::string_view to_string(DnsblStatus status);

struct DnsblClassification {
  DnsblStatus status = DnsblStatus::kError;
  std::vector<std::string> codes;    // the listing codes ("127.0.0.2")
  std::vector<std::string> ignored;  // 127.255.255.x (Spamhaus: query refused or in error) and
                                     // addresses outside 127/8: never a listing
  std::string error;                 // why kError
};

// What an A answer of a block list says.
DnsblClassification classify_dnsbl_answer(const AddressAnswer& answer);

struct DnsblZoneResult {
  std::string zone;
  double weight = 0;
  DnsblStatus status = DnsblStatus::kError;
  std::vector<std::string> codes;    // kListed: the A records
  std::vector<std::string> ignored;  // codes that are not listings (logged)
  std::string text;                  // kListed: the TXT record, printable, may be empty
  std::string error;                 // kError: why
  bool from_cache = false;
};

struct DnsblResult {
  std::string ip;
  std::vector<DnsblZoneResult> zones;  // in the configured order
  size_t queries = 0;                  // zones asked of DNS; the others came from the cache
  std::chrono::microseconds elapsed{0};

  double listed_weight() const;
  // "bl.test, bl2.test" ("" when none is listed)
  std::string listed_zones() const;
};

// Answers per (zone, IP), each until its TTL ends; the least recently used goes first when full.
// Not thread-safe: one client, one event loop.
class DnsblCache {
 public:
  using Clock = std::chrono::steady_clock;
  explicit DnsblCache(size_t capacity) : entries_(capacity) {}

  std::optional<DnsblZoneResult> find(const std::string& zone, const std::string& ip,
                                      Clock::time_point now);
  void store(const std::string& ip, const DnsblZoneResult& result, Clock::time_point expires);
  size_t size() const { return entries_.size(); }

 private:
  util::ExpiringLru<DnsblZoneResult, Clock> entries_;
};

// From [ip_reputation] (DnsblOptions::from); no default of its own.
struct DnsblOptions {
  std::vector<DnsblZone> zones;
  std::chrono::milliseconds timeout{0};  // for the whole look-up, every zone at once
  size_t cache_entries = 0;
  std::chrono::seconds negative_ttl{0};  // "not listed" without an SOA TTL

  // Fails on a zone that does not parse ("ip_reputation.zones: ...").
  static Result<DnsblOptions> from(const config::IpReputationConfig& c);
};

// Asks every zone about one IP in parallel. Runs on the resolver's executor only (the cache is
// not locked); give it a resolver whose own cache is off, so that TTLs are counted here once.
class DnsblClient : public std::enable_shared_from_this<DnsblClient> {
 public:
  DnsblClient(std::shared_ptr<DnsResolver> resolver, DnsblOptions options);

  // Never fails: a zone that gives no answer is kError in the result.
  boost::asio::awaitable<DnsblResult> lookup(std::string ip);
  size_t cached() const { return cache_.size(); }

 private:
  std::shared_ptr<DnsResolver> resolver_;
  DnsblOptions options_;
  DnsblCache cache_;
};

}  // namespace pw::net
