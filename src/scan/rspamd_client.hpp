// rspamd client (F-SPAM, optional external scanner): POSTs a message to rspamd's /checkv2 HTTP
// endpoint with the transaction's envelope in headers (IP, Helo, From, Rcpt, User, Queue-Id) and
// reads the JSON verdict (score, required_score, action, symbols). Blocking with deadlines: call
// it on the worker pool only. The HTTP/1.1 exchange uses Boost.Beast, the JSON nlohmann.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/scanner_addresses.hpp"
#include "scan/external_result.hpp"
#include "util/result.hpp"

namespace pw::scan {

// From [rspamd] (RspamdOptions::from, the endpoint parsed by the caller); no default of its own.
struct RspamdOptions {
  config::HttpEndpoint endpoint;
  std::chrono::milliseconds connect_timeout{0};
  std::chrono::milliseconds timeout{0};  // the whole exchange, connect included
  uint64_t max_bytes = 0;                // larger messages are not sent (kSkipped)
  // The rspamd actions that make a message spam ("reject", "add header", "rewrite subject", ...).
  std::vector<std::string> spam_actions;
  bool accept_on_failure = false;

  static RspamdOptions from(const config::RspamdConfig& c);
};

// One scan. Never throws; a failure is a kFailed result with a one-line error.
ScannerResult scan_rspamd(std::string_view message, const ScanEnvelope& envelope,
                          const RspamdOptions& options);

// The verdict in a /checkv2 JSON reply (exposed for the unit tests).
Result<ScannerResult> parse_rspamd_reply(std::string_view json,
                                         const std::vector<std::string>& spam_actions);

}  // namespace pw::scan
