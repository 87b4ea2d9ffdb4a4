// Which addresses of a domain's MX hosts mail may go to (issue 15, item 10; F-DELIVERY): never
// the gateway itself (a mail loop: Postfix's "mail for X loops back to myself"), never this
// machine's loopback, unspecified or link-local addresses unless a test allows it, and private
// ranges only when allowed. Applies to MX and implicit-MX routes, never to the admin's fixed
// routes. Trust: the MX names and addresses come from the domain's DNS, which anyone can point
// anywhere.
#pragma once
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "net/mx_route.hpp"
#include "util/result.hpp"

namespace pw::net {

struct MxAddressRules {
  // The gateway's own listeners; an unspecified address (0.0.0.0, ::) stands for every local one.
  std::vector<boost::asio::ip::tcp::endpoint> own;
  // This machine's interface addresses (for listeners on an unspecified address).
  std::vector<boost::asio::ip::address> local;
  bool allow_loopback = false;  // [delivery] allow_loopback_mx
  bool allow_private = true;    // [delivery] allow_private_mx

  // From the listeners' "ADDR:PORT" texts ([v6]:PORT too); reads the interface addresses.
  static Result<MxAddressRules> make(const std::vector<std::string>& listeners, bool allow_loopback,
                                     bool allow_private);
};

// 127/8, ::1, 0.0.0.0/8, ::, 169.254/16, fe80::/10, multicast; IPv4-mapped IPv6 as IPv4.
bool is_local_scope(const boost::asio::ip::address& address);
// 10/8, 172.16/12, 192.168/16, 100.64/10 (shared, RFC 6598), fc00::/7 (unique local).
bool is_private_range(const boost::asio::ip::address& address);

// `targets` (an MX route, in the order to try) screened by `rules`:
// - a target that is the gateway itself: mail goes only to hosts of a better (lower) preference
//   than the best such target; none left is a permanent failure, 5.4.6 (RFC 3463 routing loop);
// - loopback/link-local and (unless allowed) private addresses are skipped; none left is a
//   permanent failure, 5.4.4 (unable to route).
RouteResult screen_mx_targets(std::vector<RouteTarget> targets, const MxAddressRules& rules,
                              std::string_view domain);

}  // namespace pw::net
