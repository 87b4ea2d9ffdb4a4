// The addresses of the external scanners and their check where a config is loaded ([rspamd] url,
// [spamd] address; on_failure and spam_actions are checked by the registry's choices). Kept in
// config/ so that loading a config (and its fuzzer) needs no scanner or network code.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "util/result.hpp"

namespace pw::config {

struct HttpEndpoint {
  std::string host;  // an address or a name ("127.0.0.1", "::1", "localhost")
  uint16_t port = 80;
  std::string base_path;  // "" or "/prefix", without the trailing slash
};

// "http://HOST[:PORT][/PATH]" (IPv6 as [::1]); https is not supported (rspamd runs beside us).
Result<HttpEndpoint> parse_http_url(std::string_view url);

struct SpamdAddress {
  std::string unix_path;  // set for a Unix socket ("/run/spamd.sock"), else host and port
  std::string host;
  uint16_t port = 783;
  std::string text() const;
};

// "HOST:PORT", "[::1]:PORT" or an absolute path to a Unix socket.
Result<SpamdAddress> parse_spamd_address(std::string_view address);

// One line per bad value; called when a config is loaded.
Result<void> validate_external_config(const Config& config);

}  // namespace pw::config
