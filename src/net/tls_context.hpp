// Server TLS: the context every listener shares (TLS 1.2 and 1.3 only, forward-secret AEAD
// suites, RFC 8996), and the self-signed certificate a node makes on its first start and renews
// before it expires.
#pragma once
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>

#include "util/result.hpp"

namespace boost::asio::ssl {
class context;
}

namespace pw::net {

// The self-signed certificate's life (issue 15, item 15): valid `days` (at most 397), made
// again when it expires within `renew_before_days`.
struct SelfSignedPolicy {
  int64_t days = 397;
  int64_t renew_before_days = 30;
};

// Makes a P-256 key and a self-signed certificate (CN and SAN = hostname, a random serial,
// `policy.days` long) unless both files exist and the certificate needs no renewal (see
// certificate_needs_renewal). Both are written to temporary files and renamed into place, the
// key mode 0600. True when it made them.
Result<bool> ensure_self_signed_certificate(const std::filesystem::path& cert_file,
                                            const std::filesystem::path& key_file,
                                            const std::string& hostname, SelfSignedPolicy policy);

// True when the certificate in `cert_file` expires within renew_before_days (capped at days - 1)
// of `now`, or was made valid for longer than `days`, or cannot be read.
bool certificate_needs_renewal(const std::filesystem::path& cert_file, SelfSignedPolicy policy,
                               time_t now);

Result<std::shared_ptr<boost::asio::ssl::context>> make_server_tls_context(
    const std::filesystem::path& cert_file, const std::filesystem::path& key_file);

}  // namespace pw::net
