// Reloadable server TLS context (issue 15, item 15).
// Trust: certificate and key files are admin input; make_server_tls_context checks the pair.
#include "net/server_tls.hpp"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <boost/asio/ssl.hpp>

#include "net/tls_context.hpp"

namespace pw::net {

ServerTls::ServerTls(std::filesystem::path cert_file, std::filesystem::path key_file)
    : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)) {}

Result<std::shared_ptr<ServerTls>> ServerTls::load(std::filesystem::path cert_file,
                                                   std::filesystem::path key_file) {
  std::shared_ptr<ServerTls> tls(new ServerTls(std::move(cert_file), std::move(key_file)));
  if (auto r = tls->reload(); !r) return tl::unexpected(r.error());
  return tls;
}

ServerTls::Stamps ServerTls::stamps() const {
  auto stamp_of = [](const std::filesystem::path& file) {
    Stamp stamp;
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) return stamp;
    std::error_code ec;
    stamp.mtime = std::filesystem::last_write_time(file, ec);
    stamp.size = static_cast<uintmax_t>(st.st_size);
    stamp.inode = static_cast<uint64_t>(st.st_ino);
    return stamp;
  };
  return {stamp_of(cert_file_), stamp_of(key_file_)};
}

std::shared_ptr<boost::asio::ssl::context> ServerTls::current() const {
  std::lock_guard lock(mutex_);
  return context_;
}

Result<void> ServerTls::reload() {
  // Stamps first: a file replaced while it is read is seen as changed at the next check.
  auto before = stamps();
  auto fresh = make_server_tls_context(cert_file_, key_file_);
  std::lock_guard lock(mutex_);
  seen_ = before;
  if (!fresh) return tl::unexpected(fresh.error());
  context_ = std::move(*fresh);
  return {};
}

Result<bool> ServerTls::reload_if_changed() {
  {
    std::lock_guard lock(mutex_);
    if (stamps() == seen_) return false;
  }
  if (auto r = reload(); !r) return tl::unexpected(r.error());
  return true;
}

std::string ServerTls::describe() const {
  auto context = current();
  if (!context) return "none";
  X509* cert = SSL_CTX_get0_certificate(context->native_handle());
  if (!cert) return "none";
  std::string serial = "?";
  if (BIGNUM* number = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr)) {
    if (char* hex = BN_bn2hex(number)) {
      serial = hex;
      OPENSSL_free(hex);
    }
    BN_free(number);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  std::string fingerprint;
  if (X509_digest(cert, EVP_sha256(), digest, &length) == 1) {
    static constexpr char kHex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < length; ++i) {
      fingerprint += kHex[digest[i] >> 4];
      fingerprint += kHex[digest[i] & 0xf];
    }
  }
  return "serial=" + serial + " sha256=" + fingerprint;
}

}  // namespace pw::net
