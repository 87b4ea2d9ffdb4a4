// Screening of MX targets against the gateway's own listeners and address ranges (see header).
#include "net/mx_address_rules.hpp"

#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

#include "util/host_port.hpp"

namespace pw::net {

namespace asio = boost::asio;

namespace {

// IPv4-mapped IPv6 (::ffff:a.b.c.d) is judged as the IPv4 address it carries.
asio::ip::address unmapped(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  return address;
}

bool in_v4(const asio::ip::address_v4& address, uint32_t network, int prefix) {
  uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  return (address.to_uint() & mask) == (network & mask);
}

uint32_t v4(int a, int b, int c, int d) {
  return (static_cast<uint32_t>(a) << 24) | (static_cast<uint32_t>(b) << 16) |
         (static_cast<uint32_t>(c) << 8) | static_cast<uint32_t>(d);
}

Result<asio::ip::tcp::endpoint> parse_listener(std::string_view text) {
  auto split = util::split_host_port(text);
  if (!split && split.error() == util::HostPortError::kNoPort)
    return fail("listener \"" + std::string(text) + "\": no port");
  if (!split) return fail("listener \"" + std::string(text) + "\": bad port");
  boost::system::error_code error;
  auto address = asio::ip::make_address(split->host.empty() ? "0.0.0.0" : split->host, error);
  if (error) return fail("listener \"" + std::string(text) + "\": not ADDR:PORT");
  return asio::ip::tcp::endpoint(address, split->port);
}

std::vector<asio::ip::address> interface_addresses() {
  std::vector<asio::ip::address> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (auto* entry = list; entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr) continue;
    if (entry->ifa_addr->sa_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(entry->ifa_addr);
      asio::ip::address_v4::bytes_type bytes;
      std::memcpy(bytes.data(), &in->sin_addr, bytes.size());
      out.emplace_back(asio::ip::make_address_v4(bytes));
    } else if (entry->ifa_addr->sa_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(entry->ifa_addr);
      asio::ip::address_v6::bytes_type bytes;
      std::memcpy(bytes.data(), &in6->sin6_addr, bytes.size());
      out.emplace_back(asio::ip::make_address_v6(bytes));
    }
  }
  freeifaddrs(list);
  return out;
}

bool is_own(const RouteTarget& target, const MxAddressRules& rules) {
  auto address = unmapped(target.address);
  return std::any_of(rules.own.begin(), rules.own.end(), [&](const asio::ip::tcp::endpoint& own) {
    if (own.port() != target.port) return false;
    auto listening = unmapped(own.address());
    if (!listening.is_unspecified()) return listening == address;
    return address.is_loopback() || address.is_unspecified() ||
           std::find(rules.local.begin(), rules.local.end(), address) != rules.local.end();
  });
}

// Why `address` may not be used, or nullopt when it may.
std::optional<std::string> refused_range(const asio::ip::address& address,
                                         const MxAddressRules& rules) {
  if (!rules.allow_loopback && is_local_scope(address)) return "loopback or link-local";
  if (!rules.allow_private && is_private_range(address)) return "private";
  return std::nullopt;
}

RouteResult permanent(std::string status, std::string reason) {
  return tl::unexpected(RouteFailure{true, std::move(reason), std::move(status)});
}

}  // namespace

bool is_local_scope(const asio::ip::address& given) {
  auto address = unmapped(given);
  if (address.is_v4()) {
    auto a = address.to_v4();
    return in_v4(a, v4(127, 0, 0, 0), 8) || in_v4(a, v4(0, 0, 0, 0), 8) ||
           in_v4(a, v4(169, 254, 0, 0), 16) || a.is_multicast() ||
           a == asio::ip::address_v4::broadcast();
  }
  auto a = address.to_v6();
  return a.is_loopback() || a.is_unspecified() || a.is_link_local() || a.is_multicast();
}

bool is_private_range(const asio::ip::address& given) {
  auto address = unmapped(given);
  if (address.is_v4()) {
    auto a = address.to_v4();
    return in_v4(a, v4(10, 0, 0, 0), 8) || in_v4(a, v4(172, 16, 0, 0), 12) ||
           in_v4(a, v4(192, 168, 0, 0), 16) || in_v4(a, v4(100, 64, 0, 0), 10);
  }
  return (address.to_v6().to_bytes()[0] & 0xfe) == 0xfc;  // fc00::/7
}

Result<MxAddressRules> MxAddressRules::make(const std::vector<std::string>& listeners,
                                            bool allow_loopback, bool allow_private) {
  MxAddressRules rules;
  for (const auto& text : listeners) {
    auto endpoint = parse_listener(text);
    if (!endpoint) return tl::unexpected(endpoint.error());
    rules.own.push_back(*endpoint);
  }
  rules.local = interface_addresses();
  rules.allow_loopback = allow_loopback;
  rules.allow_private = allow_private;
  return rules;
}

RouteResult screen_mx_targets(std::vector<RouteTarget> targets, const MxAddressRules& rules,
                              std::string_view domain) {
  std::optional<uint16_t> own_preference;
  for (const auto& target : targets) {
    if (is_own(target, rules))
      own_preference = std::min(own_preference.value_or(target.preference), target.preference);
  }
  if (own_preference) {
    std::erase_if(targets, [&](const RouteTarget& t) { return t.preference >= *own_preference; });
    if (targets.empty())
      return permanent("5.4.6", "mail for " + std::string(domain) +
                                    " loops back to myself (its best MX is this gateway)");
  }
  std::string refused;
  std::erase_if(targets, [&](const RouteTarget& t) {
    auto why = refused_range(t.address, rules);
    if (why && refused.empty()) refused = t.host + "[" + t.address.to_string() + "] is " + *why;
    return why.has_value();
  });
  if (targets.empty())
    return permanent("5.4.4", "no usable MX address for " + std::string(domain) + ": " + refused);
  return targets;
}

}  // namespace pw::net
