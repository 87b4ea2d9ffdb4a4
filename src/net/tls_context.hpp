// Server TLS: the context every listener shares (TLS 1.2 and 1.3 only, forward-secret AEAD
// suites, RFC 8996), and the self-signed certificate a node makes on its first start.
#pragma once
#include <filesystem>
#include <memory>
#include <string>

#include "util/result.hpp"

namespace boost::asio::ssl {
class context;
}

namespace pw::net {

// Makes a P-256 key and a self-signed certificate (CN and SAN = hostname, 10 years) unless both
// files exist. The key file is written mode 0600.
Result<void> ensure_self_signed_certificate(const std::filesystem::path& cert_file,
                                            const std::filesystem::path& key_file,
                                            const std::string& hostname);

Result<std::shared_ptr<boost::asio::ssl::context>> make_server_tls_context(
    const std::filesystem::path& cert_file, const std::filesystem::path& key_file);

}  // namespace pw::net
