// Fuzzes the From header reader of F-FROM (policy/header_from.cpp) with whole messages.
// Promises checked: the result is "" or one address with exactly one '@', a non-empty local part
// and domain, a lower-case domain, and no CR or LF; it is never longer than the input; and
// nothing after the end of the header section changes it.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "policy/header_from.hpp"

namespace {

void check(bool promise) {
  if (!promise) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view message(reinterpret_cast<const char*>(data), size);
  std::string address = pw::policy::header_from_address(message);
  if (!address.empty()) {
    check(address.size() <= message.size());
    check(address.find_first_of("\r\n") == std::string::npos);
    size_t at = address.find('@');
    check(at != std::string::npos && address.find('@', at + 1) == std::string::npos);
    check(at > 0 && at + 1 < address.size());
    for (size_t i = at + 1; i < address.size(); ++i) check(address[i] < 'A' || address[i] > 'Z');
  }
  // The body is never read: cut everything after the first empty line and nothing changes.
  if (auto end = message.find("\r\n\r\n"); end != std::string_view::npos)
    check(pw::policy::header_from_address(message.substr(0, end + 4)) == address);
  return 0;
}
