// The configured external scanners, one after the other: see external_scans.hpp.
#include "scan/external_scans.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

#include "scan/rspamd_client.hpp"
#include "scan/spamd_client.hpp"

namespace pw::scan {
namespace {

void log_result(const ScannerResult& r, const ScanEnvelope& envelope) {
  switch (r.outcome) {
    case ScanOutcome::kScanned:
      spdlog::info("event=external_scan scanner={} id={} spam={} {} ms={}", r.scanner,
                   envelope.queue_id, r.spam, r.summary(10), r.elapsed_ms);
      break;
    case ScanOutcome::kSkipped:
      spdlog::info("event=external_scan_skipped scanner={} id={} reason=\"{}\"", r.scanner,
                   envelope.queue_id, r.error);
      break;
    case ScanOutcome::kFailed:
      spdlog::warn("event=external_scan_failed scanner={} id={} on_failure={} error=\"{}\" ms={}",
                   r.scanner, envelope.queue_id,
                   r.accept_on_failure ? "accept (message passes UNSCANNED)" : "tempfail", r.error,
                   r.elapsed_ms);
      break;
  }
}

}  // namespace

std::string ScannerResult::summary(std::size_t max_symbols) const {
  std::string out = fmt::format("score {:.2f}/{:.2f}, action {}", score, required, action);
  std::size_t shown = std::min(max_symbols, symbols.size());
  for (std::size_t i = 0; i < shown; ++i)
    out +=
        fmt::format("{}{}({:.2f})", i == 0 ? ", symbols " : " ", symbols[i].name, symbols[i].score);
  if (symbols.size() > shown) out += fmt::format(" +{} more", symbols.size() - shown);
  return out;
}

RspamdOptions RspamdOptions::from(const config::RspamdConfig& c) {
  RspamdOptions o;
  o.connect_timeout = std::chrono::milliseconds(c.connect_timeout_ms);
  o.timeout = std::chrono::milliseconds(c.timeout_ms);
  o.max_bytes = static_cast<uint64_t>(c.max_bytes);
  o.spam_actions = c.spam_actions;
  o.accept_on_failure = c.on_failure == "accept";
  return o;
}

SpamdOptions SpamdOptions::from(const config::SpamdConfig& c) {
  SpamdOptions o;
  o.connect_timeout = std::chrono::milliseconds(c.connect_timeout_ms);
  o.timeout = std::chrono::milliseconds(c.timeout_ms);
  o.max_bytes = static_cast<uint64_t>(c.max_bytes);
  o.accept_on_failure = c.on_failure == "accept";
  return o;
}

bool external_scans_enabled(const config::Config& config) {
  return !config.rspamd.url.empty() || !config.spamd.address.empty();
}

namespace {

// Each configured scanner failed: the message could not be read back (fails as each scanner's
// on_failure says, never a silent pass).
ExternalScans unread(const std::string& error, const ScanEnvelope& envelope,
                     const config::Config& config) {
  auto failed = [&](std::string scanner, const std::string& on_failure) {
    ScannerResult r;
    r.scanner = std::move(scanner);
    r.error = error;
    r.accept_on_failure = on_failure == "accept";
    log_result(r, envelope);
    return r;
  };
  ExternalScans out;
  if (!config.rspamd.url.empty()) out.rspamd = failed("rspamd", config.rspamd.on_failure);
  if (!config.spamd.address.empty()) out.spamd = failed("spamd", config.spamd.on_failure);
  return out;
}

}  // namespace

ExternalScans run_external_scans(const mail::MessageContent& content, const ScanEnvelope& envelope,
                                 const config::Config& config) {
  // A body kept in a file (issue 17 item 4) is read back once for the scanners that take a
  // message of its size (rspamd's and spamd's max_bytes bound that copy); over both, none does.
  uint64_t largest = 0;
  if (!config.rspamd.url.empty()) largest = static_cast<uint64_t>(config.rspamd.max_bytes);
  if (!config.spamd.address.empty())
    largest = std::max(largest, static_cast<uint64_t>(config.spamd.max_bytes));
  std::string read_back;
  std::string_view message = content.memory;
  if (content.spilled() && content.size() <= largest) {
    auto whole = content.read_all();
    if (!whole) return unread(whole.error().message, envelope, config);
    read_back = std::move(*whole);
    message = read_back;
  }
  ExternalScans out;
  if (!config.rspamd.url.empty()) {
    const auto& c = config.rspamd;
    RspamdOptions o = RspamdOptions::from(c);
    if (auto url = config::parse_http_url(c.url)) {
      o.endpoint = *url;
      out.rspamd = content.spilled() && content.size() > o.max_bytes
                       ? skipped_for_size("rspamd", content.size(), o.max_bytes)
                       : scan_rspamd(message, envelope, o);
    } else {  // validated at load; kept as a failure, never a silent pass
      ScannerResult r;
      r.scanner = "rspamd";
      r.error = url.error().message;
      r.accept_on_failure = o.accept_on_failure;
      out.rspamd = std::move(r);
    }
    log_result(*out.rspamd, envelope);
  }
  if (!config.spamd.address.empty()) {
    const auto& c = config.spamd;
    SpamdOptions o = SpamdOptions::from(c);
    if (auto address = config::parse_spamd_address(c.address)) {
      o.address = *address;
      out.spamd = content.spilled() && content.size() > o.max_bytes
                      ? skipped_for_size("spamd", content.size(), o.max_bytes)
                      : scan_spamd(message, envelope, o);
    } else {
      ScannerResult r;
      r.scanner = "spamd";
      r.error = address.error().message;
      r.accept_on_failure = o.accept_on_failure;
      out.spamd = std::move(r);
    }
    log_result(*out.spamd, envelope);
  }
  return out;
}

}  // namespace pw::scan
