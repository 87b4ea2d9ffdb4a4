// The config registry's defaults for unit tests: option structs hold no default of their own
// (issue 16, item 5), so a test builds them from the same registry the gateway reads.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "net/dns_resolver.hpp"
#include "scan/attachment_limits.hpp"

namespace pw::test {

inline const config::Config& registry_defaults() {
  static const config::Config config = config::default_config();
  return config;
}
inline scan::AttachmentLimits attachment_limits() {
  return scan::attachment_limits(registry_defaults().scan);
}
inline scan::MimeTextLimits text_limits() {
  return scan::mime_text_limits(registry_defaults().scan);
}

// [delivery]'s DNS options with these servers (and this time-out, when given).
inline net::DnsOptions dns_options(std::vector<std::string> servers,
                                   std::optional<std::chrono::milliseconds> timeout = {}) {
  net::DnsOptions o = net::DnsOptions::from(registry_defaults().delivery);
  o.servers = std::move(servers);
  if (timeout) o.timeout = *timeout;
  return o;
}

}  // namespace pw::test
