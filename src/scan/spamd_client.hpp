// SpamAssassin spamd client (F-SPAM, optional external scanner): one SPAMC/1.5 REPORT request
// over TCP or a Unix socket, answered with "Spam: True ; 15.2 / 5.0" and a report that lists each
// rule that hit with its points. Written here because the protocol is a few header lines and
// libspamc is not packaged as a library on Debian. Blocking with deadlines: worker pool only.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/scanner_addresses.hpp"
#include "scan/external_result.hpp"
#include "util/result.hpp"

namespace pw::scan {

// From [spamd] (SpamdOptions::from, the address parsed by the caller); no default of its own.
struct SpamdOptions {
  config::SpamdAddress address;
  std::chrono::milliseconds connect_timeout{0};
  std::chrono::milliseconds timeout{0};  // the whole exchange, connect included
  uint64_t max_bytes = 0;                // larger messages are not sent (kSkipped), as spamc does
  bool accept_on_failure = false;

  static SpamdOptions from(const config::SpamdConfig& c);
};

// One scan. Never throws; a failure is a kFailed result with a one-line error.
ScannerResult scan_spamd(std::string_view message, const ScanEnvelope& envelope,
                         const SpamdOptions& options);

// The verdict in a whole spamd reply, status line to end of report (for the unit tests).
Result<ScannerResult> parse_spamd_reply(std::string_view reply);

}  // namespace pw::scan
