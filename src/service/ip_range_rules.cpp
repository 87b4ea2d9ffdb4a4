// See ip_range_rules.hpp.
#include "service/ip_range_rules.hpp"

#include <array>
#include <string>
#include <string_view>

namespace pw::service {
namespace {

// Ranges no domain admin may relay from: they are the gateway's own host or no real client.
constexpr std::array<std::string_view, 6> kHostOnlyRanges = {
    "0.0.0.0/8",       // "this network" (RFC 1122)
    "127.0.0.0/8",     // loopback
    "169.254.0.0/16",  // link-local (RFC 3927)
    "::/128",          // unspecified
    "::1/128",         // loopback
    "fe80::/10",       // link-local (RFC 4291)
};

std::string family_name(const util::Cidr& range) { return range.network.is_v4 ? "IPv4" : "IPv6"; }

Outcome<void> check_domain_admin_range(const util::Cidr& range, const IpRangeRules& rules) {
  const int64_t widest = range.network.is_v4 ? rules.domain_admin_widest_prefix_v4
                                             : rules.domain_admin_widest_prefix_v6;
  if (range.prefix < widest)
    return forbidden(range.str() + " is wider than a domain admin may add (" + family_name(range) +
                     " ranges of /" + std::to_string(widest) + " or narrower)");
  for (auto text : kHostOnlyRanges) {
    auto special = util::Cidr::parse(text);
    if (special && special->overlaps(range))
      return forbidden(
          range.str() + " touches " + special->str() +
          " (loopback, link-local or unspecified): not a sender a domain admin may add");
  }
  return {};
}

}  // namespace

IpRangeRules IpRangeRules::from(const config::Config& config) {
  return IpRangeRules{config.policy.widest_prefix_v4, config.policy.widest_prefix_v6,
                      config.policy.domain_admin_widest_prefix_v4,
                      config.policy.domain_admin_widest_prefix_v6};
}

Outcome<IpRangeVerdict> check_ip_range(const util::Cidr& range, const Actor& actor,
                                       const IpRangeRules& rules, bool force) {
  if (!actor.is_admin()) {
    if (auto ok = check_domain_admin_range(range, rules); !ok) return tl::unexpected(ok.error());
  }
  const int64_t widest = range.network.is_v4 ? rules.widest_prefix_v4 : rules.widest_prefix_v6;
  if (range.prefix >= widest) return IpRangeVerdict{false};
  if (!force || !actor.is_admin())
    return invalid(range.str() + " is a catch-all: " + family_name(range) + " ranges wider than /" +
                   std::to_string(widest) +
                   " would let nearly anyone relay (an administrator may force it at the CLI: "
                   "user add --ip ... --force)");
  return IpRangeVerdict{true};
}

}  // namespace pw::service
