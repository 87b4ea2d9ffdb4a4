// One parser of "host:port" (issue 16 item 2: the listeners, the MX loop check, the resolver, the
// clamd client and the rspamd/spamd addresses each had their own). "[v6]:port" for IPv6; with a
// default port, "host", "[v6]" and a bare IPv6 address are accepted too. Only the split and the
// port are checked here: the caller decides what a host may be (an IP address, a name) and words
// its own error.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

namespace pw::util {

struct HostPort {
  std::string host;  // without brackets; may be empty (":25")
  uint16_t port = 0;
};

enum class HostPortError { kNoPort, kBadPort, kUnclosedBracket };

tl::expected<HostPort, HostPortError> split_host_port(
    std::string_view text, std::optional<uint16_t> default_port = std::nullopt);

}  // namespace pw::util
