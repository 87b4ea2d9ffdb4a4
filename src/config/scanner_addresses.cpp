// Scanner addresses and config checks: see scanner_addresses.hpp.
#include "config/scanner_addresses.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "util/host_port.hpp"

namespace pw::config {

Result<HttpEndpoint> parse_http_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme)
    return fail(fmt::format("\"{}\" is not an http:// URL", url));
  std::string_view rest = url.substr(kScheme.size());
  HttpEndpoint out;
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    out.base_path = std::string(path);
  }
  if (authority.empty() || authority.front() != '[') {
    if (std::count(authority.begin(), authority.end(), ':') > 1)
      return fail(fmt::format("\"{}\": an IPv6 address goes in brackets ([::1])", url));
  }
  auto split = util::split_host_port(authority, out.port);
  if (!split && split.error() == util::HostPortError::kUnclosedBracket)
    return fail(fmt::format("\"{}\": unclosed [", url));
  if (!split) return fail(fmt::format("\"{}\": bad port", url));
  out.host = split->host;
  out.port = split->port;
  if (out.host.empty()) return fail(fmt::format("\"{}\": no host", url));
  if (out.host.find_first_of(" @?#") != std::string::npos)
    return fail(fmt::format("\"{}\": bad host", url));
  return out;
}

std::string SpamdAddress::text() const {
  if (!unix_path.empty()) return unix_path;
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                             : fmt::format("{}:{}", host, port);
}

Result<SpamdAddress> parse_spamd_address(std::string_view address) {
  SpamdAddress out;
  if (address.empty()) return fail("empty spamd address");
  if (address.front() == '/') {
    out.unix_path = std::string(address);
    return out;
  }
  auto split = util::split_host_port(address);
  if (!split || split->host.empty())
    return fail(fmt::format("\"{}\" is not HOST:PORT or a socket path", address));
  out.host = split->host;
  out.port = split->port;
  return out;
}

Result<void> validate_external_config(const Config& config) {
  const auto& r = config.rspamd;
  if (!r.url.empty()) {
    if (auto url = parse_http_url(r.url); !url) return fail("rspamd.url: " + url.error().message);
  }
  const auto& s = config.spamd;
  if (!s.address.empty()) {
    if (auto a = parse_spamd_address(s.address); !a)
      return fail("spamd.address: " + a.error().message);
  }
  return {};
}

}  // namespace pw::config
