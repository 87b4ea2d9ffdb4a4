// See dkim_config.hpp.
#include "dkim/dkim_config.hpp"

namespace pw::dkim {

SignerOptions signer_options(const config::DkimConfig& config) {
  SignerOptions options;
  options.canonicalization = *parse_canonicalization(config.canonicalization);
  options.signed_headers = config.signed_headers;
  options.oversigned_headers = config.oversigned_headers;
  options.expire_after_s = config.expire_after_s;
  return options;
}

}  // namespace pw::dkim
