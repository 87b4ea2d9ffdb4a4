// What the optional external scanners (rspamd, SpamAssassin's spamd) said about one message:
// plain data shared by the clients, the SMTP session that runs them and the policy check that
// turns their answers into a verdict (policy/checks/external_scanners.cpp).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pw::scan {

// What the scanners are told about the transaction besides the message itself.
struct ScanEnvelope {
  std::string client_ip;
  std::string helo;
  std::string mail_from;  // "" = the null sender
  std::vector<std::string> rcpt_to;
  std::string user;      // the authenticated user; "" for IP senders
  std::string queue_id;  // our message id, for the scanner's log
};

struct ScanSymbol {
  std::string name;
  double score = 0;
};

enum class ScanOutcome {
  kScanned,  // the scanner answered: `spam`, `score`, ... are its verdict
  kSkipped,  // not sent (larger than the scanner's max_bytes): neither spam nor a failure
  kFailed,   // no answer (connect, time-out, protocol error): `error` says why
};

struct ScannerResult {
  std::string scanner;  // "rspamd" or "spamd"
  ScanOutcome outcome = ScanOutcome::kFailed;
  std::string error;  // one line, for kFailed and kSkipped
  bool spam = false;
  double score = 0;
  double required = 0;  // the score from which the scanner calls a message spam
  std::string action;   // rspamd's action ("reject", "add header", ...); spamd: "spam"/"ham"
  std::vector<ScanSymbol> symbols;  // highest score first
  bool accept_on_failure = false;   // on_failure = "accept": a failure passes the message
  int64_t elapsed_ms = 0;

  // "score 15.00/15.00, action reject, symbols GTUBE(0.00), ..." with at most `max_symbols`.
  std::string summary(std::size_t max_symbols) const;
};

// A message over a scanner's max_bytes is not sent (kSkipped), as rspamc does.
inline ScannerResult skipped_for_size(std::string scanner, uint64_t size, uint64_t max_bytes) {
  ScannerResult r;
  r.scanner = std::move(scanner);
  r.outcome = ScanOutcome::kSkipped;
  r.error = "message of " + std::to_string(size) + " bytes is larger than max_bytes " +
            std::to_string(max_bytes);
  return r;
}

// The scanners that are configured (an unset one was not asked).
struct ExternalScans {
  std::optional<ScannerResult> rspamd;
  std::optional<ScannerResult> spamd;
};

}  // namespace pw::scan
