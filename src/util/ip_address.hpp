// IPv4 and IPv6 addresses as 16 bytes (IPv4 held as ::ffff:a.b.c.d), and CIDR ranges over them.
// Trust: text comes from admins (CLI, API) and from the socket layer; parse() validates strictly.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace pw::util {

struct IpAddress {
  std::array<uint8_t, 16> bytes{};
  bool is_v4 = false;

  // "192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1" (taken as IPv4). No zone ids, no brackets.
  static Result<IpAddress> parse(std::string_view text);
  std::string str() const;  // canonical text (RFC 5952 for IPv6)
  auto operator<=>(const IpAddress&) const = default;
};

struct Cidr {
  IpAddress network;  // host bits zero
  int prefix = 0;     // 0..32 for IPv4, 0..128 for IPv6

  // "192.0.2.0/24", "2001:db8::/32", or a bare address (= /32 or /128). Host bits set after the
  // prefix are an error ("192.0.2.1/24": did you mean 192.0.2.0/24?), as is any other malformation.
  static Result<Cidr> parse(std::string_view text);
  std::string str() const;  // canonical "network/prefix"
  // Families never mix: an IPv4 address is in no IPv6 range (not even ::/0) and the reverse;
  // the mapped form ::ffff:a.b.c.d is IPv4 everywhere, so both methods agree on it.
  bool contains(const IpAddress& address) const;
  bool overlaps(const Cidr& other) const;
  auto operator<=>(const Cidr&) const = default;
};

}  // namespace pw::util
