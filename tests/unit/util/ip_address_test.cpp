// Strict parsing of addresses and ranges, canonical printing, and containment across families.
// Inputs mimic what admins mistype and what a hostile client could send.
#include "util/ip_address.hpp"

#include <gtest/gtest.h>

namespace pw::util {
namespace {

IpAddress ip(std::string_view text) {
  auto address = IpAddress::parse(text);
  EXPECT_TRUE(address) << text << ": " << address.error().message;
  return address.value_or(IpAddress{});
}

Cidr cidr(std::string_view text) {
  auto range = Cidr::parse(text);
  EXPECT_TRUE(range) << text << ": " << range.error().message;
  return range.value_or(Cidr{});
}

TEST(IpAddress, ParsesIpv4AndPrintsItBack) {
  auto address = ip("192.0.2.1");
  EXPECT_TRUE(address.is_v4);
  EXPECT_EQ(address.str(), "192.0.2.1");
}

TEST(IpAddress, PrintsIpv6InRfc5952Form) {
  EXPECT_EQ(ip("2001:DB8:0:0:0:0:0:1").str(), "2001:db8::1");
  EXPECT_EQ(ip("2001:db8:0:0:1:0:0:1").str(), "2001:db8::1:0:0:1");
  EXPECT_EQ(ip("2001:0db8::0001").str(), "2001:db8::1");
  EXPECT_FALSE(ip("::1").is_v4);
}

TEST(IpAddress, TakesV4MappedIpv6AsIpv4) {
  auto mapped = ip("::ffff:192.0.2.1");
  EXPECT_TRUE(mapped.is_v4);
  EXPECT_EQ(mapped.str(), "192.0.2.1");
  EXPECT_EQ(mapped, ip("192.0.2.1"));
  EXPECT_EQ(ip("::ffff:c000:201"), ip("192.0.2.1"));
}

TEST(IpAddress, RefusesMalformedText) {
  for (std::string_view bad : std::initializer_list<std::string_view>{
           "", " 192.0.2.1", "192.0.2.1 ", "192.0.2.01", "192.0.2", "192.0.2.1.5", "192.0.2.256",
           "1.2.3.-4", "0x7f.0.0.1", "[2001:db8::1]", "fe80::1%eth0", "2001:db8:::1", "2001:db8::g",
           "::ffff:192.0.2.01", "localhost", "192.0.2.1/32", std::string_view("1.2.3.4\0", 8)}) {
    EXPECT_FALSE(IpAddress::parse(bad)) << bad;
  }
}

TEST(Cidr, ParsesRangesAndBareAddresses) {
  EXPECT_EQ(cidr("192.0.2.0/24").str(), "192.0.2.0/24");
  EXPECT_EQ(cidr("192.0.2.7").str(), "192.0.2.7/32");
  EXPECT_EQ(cidr("2001:db8::/32").str(), "2001:db8::/32");
  EXPECT_EQ(cidr("2001:db8::1").str(), "2001:db8::1/128");
  EXPECT_EQ(cidr("0.0.0.0/0").str(), "0.0.0.0/0");
  EXPECT_EQ(cidr("::/0").str(), "::/0");
}

TEST(Cidr, TakesMappedRangesAsIpv4WithTheirIpv6Prefix) {
  auto range = cidr("::ffff:192.0.2.0/120");
  EXPECT_TRUE(range.network.is_v4);
  EXPECT_EQ(range.str(), "192.0.2.0/24");
  EXPECT_EQ(cidr("::ffff:192.0.2.9").str(), "192.0.2.9/32");
}

TEST(Cidr, RefusesHostBitsAndSuggestsTheNetwork) {
  auto range = Cidr::parse("192.0.2.1/24");
  ASSERT_FALSE(range);
  EXPECT_NE(range.error().message.find("did you mean 192.0.2.0/24?"), std::string::npos)
      << range.error().message;
  auto v6 = Cidr::parse("2001:db8::1/32");
  ASSERT_FALSE(v6);
  EXPECT_NE(v6.error().message.find("did you mean 2001:db8::/32?"), std::string::npos)
      << v6.error().message;
}

TEST(Cidr, RefusesPrefixOutOfRangeOrMalformed) {
  for (std::string_view bad : std::initializer_list<std::string_view>{
           "192.0.2.0/33", "2001:db8::/129", "192.0.2.0/", "192.0.2.0/024", "192.0.2.0/+24",
           "192.0.2.0/-1", "192.0.2.0/24/1", "/24", "192.0.2.0/ 24",
           "192.0.2.0/99999999999999999999", "[::1]/128", "fe80::/10%eth0"}) {
    EXPECT_FALSE(Cidr::parse(bad)) << bad;
  }
}

TEST(Cidr, ContainsAddressesInsideOnly) {
  auto range = cidr("192.0.2.0/25");
  EXPECT_TRUE(range.contains(ip("192.0.2.0")));
  EXPECT_TRUE(range.contains(ip("192.0.2.127")));
  EXPECT_FALSE(range.contains(ip("192.0.2.128")));
  EXPECT_TRUE(cidr("0.0.0.0/0").contains(ip("203.0.113.9")));
  auto v6 = cidr("2001:db8:1::/48");
  EXPECT_TRUE(v6.contains(ip("2001:db8:1:ffff::1")));
  EXPECT_FALSE(v6.contains(ip("2001:db8:2::1")));
}

TEST(Cidr, NeverMatchesIpv4AgainstIpv6RangesOrTheReverse) {
  EXPECT_FALSE(cidr("::/0").contains(ip("192.0.2.1")));
  EXPECT_FALSE(cidr("::/0").overlaps(cidr("192.0.2.0/24")));
  EXPECT_FALSE(cidr("0.0.0.0/0").contains(ip("2001:db8::1")));
  EXPECT_FALSE(cidr("0.0.0.0/0").overlaps(cidr("2001:db8::/32")));
  // The mapped form is IPv4 everywhere, in ranges and addresses alike.
  EXPECT_TRUE(cidr("192.0.2.0/24").contains(ip("::ffff:192.0.2.5")));
  EXPECT_TRUE(cidr("::ffff:192.0.2.0/120").overlaps(cidr("192.0.2.128/25")));
}

TEST(Cidr, OverlapsWhenOneHoldsTheOther) {
  EXPECT_TRUE(cidr("10.0.0.0/8").overlaps(cidr("10.1.0.0/16")));
  EXPECT_TRUE(cidr("10.1.0.0/16").overlaps(cidr("10.0.0.0/8")));
  EXPECT_TRUE(cidr("10.1.0.0/16").overlaps(cidr("10.1.0.0/16")));
  EXPECT_FALSE(cidr("10.1.0.0/16").overlaps(cidr("10.2.0.0/16")));
  EXPECT_TRUE(cidr("2001:db8::/32").overlaps(cidr("2001:db8:ff::1")));
  EXPECT_FALSE(cidr("2001:db8::/33").overlaps(cidr("2001:db8:8000::/33")));
}

}  // namespace
}  // namespace pw::util
