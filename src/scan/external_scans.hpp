// Runs the configured external scanners ([rspamd] url, [spamd] address; both off by default) on
// one message and logs each outcome. The verdict
// is the policy check's (policy/checks/external_scanners.cpp). Blocking: worker pool only.
#pragma once
#include <string_view>

#include "config/config.hpp"
#include "mail/message_content.hpp"
#include "scan/external_result.hpp"

namespace pw::scan {

// True when at least one scanner is configured.
bool external_scans_enabled(const config::Config& config);

// Asks each configured scanner in turn (rspamd, then spamd).
ExternalScans run_external_scans(const mail::MessageContent& message, const ScanEnvelope& envelope,
                                 const config::Config& config);

}  // namespace pw::scan
