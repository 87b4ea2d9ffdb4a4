// "host:port" split, with the port checked as 1..65535.
#include "util/host_port.hpp"

#include <algorithm>
#include <charconv>

namespace pw::util {
namespace {

std::optional<uint16_t> parse_port(std::string_view text) {
  unsigned port = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || port == 0 ||
      port > 65535)
    return std::nullopt;
  return static_cast<uint16_t>(port);
}

tl::expected<HostPort, HostPortError> with_port(std::string_view host, std::string_view port) {
  auto parsed = parse_port(port);
  if (!parsed) return tl::unexpected(HostPortError::kBadPort);
  return HostPort{std::string(host), *parsed};
}

}  // namespace

tl::expected<HostPort, HostPortError> split_host_port(std::string_view text,
                                                      std::optional<uint16_t> default_port) {
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return tl::unexpected(HostPortError::kUnclosedBracket);
    const std::string_view host = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (rest.empty()) {
      if (!default_port) return tl::unexpected(HostPortError::kNoPort);
      return HostPort{std::string(host), *default_port};
    }
    if (rest.front() != ':') return tl::unexpected(HostPortError::kBadPort);
    return with_port(host, rest.substr(1));
  }
  if (default_port) {
    if (std::count(text.begin(), text.end(), ':') != 1)  // a name, an IPv4 or a bare IPv6
      return HostPort{std::string(text), *default_port};
    const size_t colon = text.find(':');
    return with_port(text.substr(0, colon), text.substr(colon + 1));
  }
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return tl::unexpected(HostPortError::kNoPort);
  return with_port(text.substr(0, colon), text.substr(colon + 1));
}

}  // namespace pw::util
