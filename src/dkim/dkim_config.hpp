// Checks the [dkim] section where it is loaded (a typo is an error at start, never a silent
// default) and turns it into the signer's options.
#pragma once
#include "config/config.hpp"
#include "dkim/signer.hpp"
#include "util/result.hpp"

namespace pw::dkim {

// Lower-cases the header names and refuses values the signer cannot use.
Result<void> normalize_config(config::DkimConfig& config);

// The signer's options from a normalized [dkim] section.
SignerOptions signer_options(const config::DkimConfig& config);

}  // namespace pw::dkim
