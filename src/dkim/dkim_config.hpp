// Turns the [dkim] section, checked where the config is loaded (config/), into the signer's
// options.
#pragma once
#include "config/config.hpp"
#include "dkim/signer.hpp"

namespace pw::dkim {

// The signer's options from a normalized [dkim] section.
SignerOptions signer_options(const config::DkimConfig& config);

}  // namespace pw::dkim
