// Strict parsing and canonical printing of IP addresses and CIDR ranges (inet_pton/inet_ntop).
// Trust: text comes from admins and from the socket layer; anything not canonical-ish is refused.
#include "util/ip_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "util/ascii_text.hpp"

namespace pw::util {
namespace {

constexpr int kV4Bits = 32;
constexpr int kV6Bits = 128;
// An IPv4 address sits in the last 4 of the 16 bytes, after the ::ffff: prefix (RFC 4291 2.5.5.2).
constexpr size_t kV4Offset = 12;
constexpr int kV4MappedPrefixBits = 96;
// Longest text worth looking at: an IPv6 address in its longest form plus "/128".
constexpr size_t kMaxCidrText = INET6_ADDRSTRLEN + 4;

bool is_v4_mapped(const std::array<uint8_t, 16>& bytes) {
  return std::all_of(bytes.begin(), bytes.begin() + 10, [](uint8_t b) { return b == 0; }) &&
         bytes[10] == 0xff && bytes[11] == 0xff;
}

// inet_pton's IPv4 rules differ between C libraries (some read "010" as octal): check the dotted
// quad ourselves so that every octet is 1-3 decimal digits without a leading zero.
bool is_strict_dotted_quad(std::string_view text) {
  int octets = 0;
  size_t start = 0;
  while (true) {
    size_t end = text.find('.', start);
    std::string_view octet = text.substr(start, end == std::string_view::npos ? end : end - start);
    if (octet.empty() || octet.size() > 3) return false;
    if (!std::all_of(octet.begin(), octet.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
    if (octet.size() > 1 && octet[0] == '0') return false;
    ++octets;
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return octets == 4;
}

bool has_forbidden_character(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte <= 0x20 || byte >= 0x7f || c == '[' || c == ']' || c == '%';
  });
}

int family_bits(const IpAddress& address) { return address.is_v4 ? kV4Bits : kV6Bits; }

// The prefix counted over all 16 bytes, so that IPv4 and IPv6 compare the same way.
int bits_over_16_bytes(const IpAddress& address, int prefix) {
  return address.is_v4 ? prefix + kV4MappedPrefixBits : prefix;
}

bool same_leading_bits(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b,
                       int bits) {
  int whole = bits / 8;
  if (!std::equal(a.begin(), a.begin() + whole, b.begin())) return false;
  int rest = bits % 8;
  if (rest == 0) return true;
  auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

IpAddress masked(IpAddress address, int bits_over_16) {
  for (int i = 0; i < 16; ++i) {
    int keep = std::clamp(bits_over_16 - i * 8, 0, 8);
    address.bytes[i] &= static_cast<uint8_t>(keep == 0 ? 0 : 0xff << (8 - keep));
  }
  return address;
}

Result<int> parse_prefix(std::string_view text, std::string_view whole) {
  int value = -1;
  bool digits_only = !text.empty() && std::all_of(text.begin(), text.end(),
                                                  [](char c) { return c >= '0' && c <= '9'; });
  if (!digits_only || (text.size() > 1 && text[0] == '0') ||
      std::from_chars(text.data(), text.data() + text.size(), value).ec != std::errc{}) {
    return fail("invalid prefix length in " + quote_for_message(whole));
  }
  return value;
}

}  // namespace

Result<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty()) return fail("empty IP address");
  if (text.size() >= INET6_ADDRSTRLEN || has_forbidden_character(text)) {
    return fail("invalid IP address " + quote_for_message(text) +
                " (no spaces, brackets or zone ids; e.g. 192.0.2.1 or 2001:db8::1)");
  }
  std::string terminated(text);
  IpAddress address;
  if (text.find(':') != std::string_view::npos) {
    in6_addr raw{};
    if (inet_pton(AF_INET6, terminated.c_str(), &raw) != 1) {
      return fail("invalid IPv6 address " + quote_for_message(text));
    }
    std::copy(std::begin(raw.s6_addr), std::end(raw.s6_addr), address.bytes.begin());
    address.is_v4 = is_v4_mapped(address.bytes);
    auto last_colon = text.rfind(':');
    if (address.is_v4 && text.find('.', last_colon) != std::string_view::npos &&
        !is_strict_dotted_quad(text.substr(last_colon + 1))) {
      return fail("invalid IPv4 address in " + quote_for_message(text));
    }
    return address;
  }
  in_addr raw{};
  if (!is_strict_dotted_quad(text) || inet_pton(AF_INET, terminated.c_str(), &raw) != 1) {
    return fail("invalid IPv4 address " + quote_for_message(text) +
                " (four decimal numbers 0-255 without leading zeros)");
  }
  address.bytes[10] = 0xff;
  address.bytes[11] = 0xff;
  std::memcpy(address.bytes.data() + kV4Offset, &raw.s_addr, 4);
  address.is_v4 = true;
  return address;
}

std::string IpAddress::str() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  if (is_v4) {
    inet_ntop(AF_INET, bytes.data() + kV4Offset, buffer, sizeof buffer);
  } else {
    inet_ntop(AF_INET6, bytes.data(), buffer, sizeof buffer);
  }
  return buffer;
}

Result<Cidr> Cidr::parse(std::string_view text) {
  if (text.empty()) return fail("empty IP range");
  if (text.size() > kMaxCidrText) return fail("invalid IP range " + quote_for_message(text));
  auto slash = text.find('/');
  std::string_view address_text = text.substr(0, slash);
  auto address = IpAddress::parse(address_text);
  if (!address) return tl::unexpected(address.error());

  Cidr range;
  range.network = *address;
  range.prefix = family_bits(*address);
  if (slash != std::string_view::npos) {
    auto prefix = parse_prefix(text.substr(slash + 1), text);
    if (!prefix) return tl::unexpected(prefix.error());
    // A mapped address written in IPv6 syntax takes an IPv6 prefix (::ffff:192.0.2.0/120).
    bool v6_syntax = address_text.find(':') != std::string_view::npos;
    int limit = v6_syntax ? kV6Bits : kV4Bits;
    if (*prefix > limit) {
      return fail("prefix length /" + std::to_string(*prefix) + " out of range in " +
                  quote_for_message(text) + " (at most /" + std::to_string(limit) + ")");
    }
    int bits_over_16 = v6_syntax ? *prefix : *prefix + kV4MappedPrefixBits;
    IpAddress network = masked(*address, bits_over_16);
    if (v6_syntax && address->is_v4 && *prefix < kV4MappedPrefixBits) {
      network.is_v4 = is_v4_mapped(network.bytes);
    }
    if (network.bytes != address->bytes) {
      int shown = network.is_v4 ? bits_over_16 - kV4MappedPrefixBits : bits_over_16;
      return fail("host bits set in " + quote_for_message(text) + ": did you mean " +
                  network.str() + "/" + std::to_string(shown) + "?");
    }
    range.network = network;
    range.prefix = network.is_v4 ? bits_over_16 - kV4MappedPrefixBits : bits_over_16;
  }
  return range;
}

std::string Cidr::str() const { return network.str() + "/" + std::to_string(prefix); }

bool Cidr::contains(const IpAddress& address) const {
  // Families never mix: an IPv6 range such as ::/0 does not take in IPv4 clients, so that a range
  // written for one family cannot open relaying for the other by accident.
  if (address.is_v4 != network.is_v4) return false;
  return same_leading_bits(network.bytes, address.bytes, bits_over_16_bytes(network, prefix));
}

bool Cidr::overlaps(const Cidr& other) const {
  if (network.is_v4 != other.network.is_v4) return false;
  int shorter = std::min(prefix, other.prefix);
  return same_leading_bits(network.bytes, other.network.bytes,
                           bits_over_16_bytes(network, shorter));
}

}  // namespace pw::util
