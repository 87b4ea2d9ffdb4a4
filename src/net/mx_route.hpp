// Where mail for a domain goes: MX look-up, preference order with equal preferences shuffled,
// implicit MX, null MX (RFC 5321 5.1, RFC 7505), and fixed routes ("[host]:port") for relay hosts.
// Trust: the domain comes from a message envelope and answers from DNS; names are checked first.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <vector>

#include "util/result.hpp"

namespace pw::net {

class DnsResolver;

struct RouteTarget {
  std::string host;  // the MX host; the domain itself for an implicit MX; the fixed route's host
  boost::asio::ip::address address;
  uint16_t port = 0;
  uint16_t preference = 0;  // the MX preference; 0 for an implicit MX and for fixed routes
};

struct RouteFailure {
  bool permanent = false;  // true: bounce the recipients; false: keep the message and retry
  std::string reason;      // one printable line for logs and DSNs
  std::string status;      // enhanced status code (RFC 3463) when not the default for the kind
};

// Targets in the order to try them, never empty; or why there are none.
using RouteResult = tl::expected<std::vector<RouteTarget>, RouteFailure>;

// The route for `domain` (RFC 5321 5.1): MX hosts by preference, equal preferences shuffled with
// `random`; each host's addresses, IPv4 first, then IPv6 (an address met twice is tried once).
// No MX (NODATA): the domain's own addresses. Permanent failure: the domain does not exist, a
// null MX (RFC 7505), no MX and no address. Temporary failure: any DNS error that leaves no
// target, and also MX hosts that all do not resolve (NXDOMAIN or no addresses): such a
// misconfiguration is usually fixed within the retry time, and bouncing would lose the mail.
// MX hosts that do not resolve are skipped when another one does. `resolver` and `random` must
// outlive the coroutine; the resolver may be destroyed meanwhile (temporary failure).
boost::asio::awaitable<RouteResult> resolve_mail_route(DnsResolver& resolver, std::string domain,
                                                       uint16_t port, std::mt19937& random);

// A route configured by the admin (relay host, per-domain route): "[host]:port", "host:port",
// "[192.0.2.1]:25", "[2001:db8::1]:587"; the port defaults to 25. Unlike Postfix, the host is
// never looked up as MX, with or without brackets: a route names the machine to connect to.
struct FixedRoute {
  std::string host;  // lower-case host name, or an IP address in text form
  uint16_t port = 0;
  bool is_address = false;
};
Result<FixedRoute> parse_fixed_route(std::string_view text);

// The addresses of a fixed route's host (a literal address as it is). Every failure is
// temporary, a malformed route included: the route is our configuration, and mail waits while
// it is fixed instead of bouncing.
boost::asio::awaitable<RouteResult> resolve_fixed_route(DnsResolver& resolver,
                                                        std::string host_port);

}  // namespace pw::net
