// The scanners' limits and cut-offs as the node's [scan] and [spam] configuration sets them: one
// function each for the gateway's DATA checks, the services and the CLI.
#pragma once
#include <cstdint>
#include <optional>

#include "config/config.hpp"
#include "scan/attachment_scanner.hpp"
#include "scan/mime_text.hpp"
#include "scan/spam_classifier.hpp"

namespace pw::scan {

AttachmentLimits attachment_limits(const config::ScanConfig& scan);
MimeTextLimits mime_text_limits(const config::ScanConfig& scan);
// `domain_threshold`: the domain's own spam_threshold, which replaces [spam] threshold.
SpamCutoffs spam_cutoffs(const config::SpamConfig& spam,
                         std::optional<int64_t> domain_threshold = std::nullopt);

}  // namespace pw::scan
