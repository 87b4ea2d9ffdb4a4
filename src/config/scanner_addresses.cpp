// Scanner addresses and config checks: see scanner_addresses.hpp.
#include "config/scanner_addresses.hpp"

#include <fmt/format.h>

#include <charconv>

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
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return fail(fmt::format("\"{}\": unclosed [", url));
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return fail(fmt::format("\"{}\": bad port", url));
      port_text = after.substr(1);
    }
  } else {
    auto colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) return fail(fmt::format("\"{}\": no host", url));
  if (out.host.find_first_of(" @?#") != std::string::npos)
    return fail(fmt::format("\"{}\": bad host", url));
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535)
      return fail(fmt::format("\"{}\": bad port", url));
    out.port = static_cast<uint16_t>(port);
  }
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
  std::string_view port_text;
  if (address.front() == '[') {
    auto close = address.find(']');
    if (close == std::string_view::npos || address.substr(close + 1, 1) != ":")
      return fail(fmt::format("\"{}\" is not [ADDRESS]:PORT", address));
    out.host = std::string(address.substr(1, close - 1));
    port_text = address.substr(close + 2);
  } else {
    auto colon = address.rfind(':');
    if (colon == std::string_view::npos)
      return fail(fmt::format("\"{}\" is not HOST:PORT or a socket path", address));
    out.host = std::string(address.substr(0, colon));
    port_text = address.substr(colon + 1);
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (out.host.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port == 0 || port > 65535)
    return fail(fmt::format("\"{}\" is not HOST:PORT or a socket path", address));
  out.port = static_cast<uint16_t>(port);
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
