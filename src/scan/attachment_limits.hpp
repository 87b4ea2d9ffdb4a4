// The attachment scanner's limits as the node's [scan] configuration sets them: one function for
// the gateway's DATA checks, the hash block list service and the CLI.
#pragma once
#include "config/config.hpp"
#include "scan/attachment_scanner.hpp"

namespace pw::scan {

AttachmentLimits attachment_limits(const config::ScanConfig& scan);

}  // namespace pw::scan
