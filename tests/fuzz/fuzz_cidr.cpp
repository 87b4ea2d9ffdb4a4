// Fuzzes IP address and CIDR parsing; what parses must print and parse back to itself.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "util/ip_address.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto cidr = pw::util::Cidr::parse(text)) {
    auto again = pw::util::Cidr::parse(cidr->str());
    if (!again || !(*again == *cidr)) std::abort();
    if (!cidr->contains(cidr->network)) std::abort();
    if (!cidr->overlaps(*cidr)) std::abort();
  }
  if (auto ip = pw::util::IpAddress::parse(text)) {
    auto again = pw::util::IpAddress::parse(ip->str());
    if (!again || !(*again == *ip)) std::abort();
  }
  return 0;
}
