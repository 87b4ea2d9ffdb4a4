// Which IP ranges may become IP users (senders that relay without AUTH), for the CLI and the API
// alike. Trust: the range comes from an admin or a domain admin; a domain admin must not open
// relaying beyond its own hosts (no catch-alls, no wide ranges, no loopback or link-local).
#pragma once
#include <cstdint>

#include "config/config.hpp"
#include "service/actor.hpp"
#include "service/outcome.hpp"
#include "util/ip_address.hpp"

namespace pw::service {

struct IpRangeRules {
  int64_t widest_prefix_v4 = 0;  // wider: a catch-all, refused unless forced ([policy])
  int64_t widest_prefix_v6 = 0;
  int64_t domain_admin_widest_prefix_v4 = 0;  // wider: refused for a domain admin
  int64_t domain_admin_widest_prefix_v6 = 0;

  static IpRangeRules from(const config::Config& config);
};

// What check_ip_range found: whether the range passed only because it was forced.
struct IpRangeVerdict {
  bool forced = false;
};

// May `actor` add `range` as an IP user? A domain admin: never wider than its widest prefix, and
// never a range that touches loopback, link-local or the unspecified address (IPv4-mapped forms
// included: they are IPv4 ranges here). Everyone: never a catch-all (wider than widest_prefix)
// unless `force` (the CLI's --force; only an administrator may force).
Outcome<IpRangeVerdict> check_ip_range(const util::Cidr& range, const Actor& actor,
                                       const IpRangeRules& rules, bool force);

}  // namespace pw::service
