// TLS contexts on OpenSSL 3, and first-start certificate generation with the EVP/X509 API.
// Trust: certificate and key files are admin input; errors name the file.
#include "net/tls_context.hpp"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <boost/asio/ssl.hpp>
#include <cstdio>

namespace pw::net {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct FileClose {
  void operator()(FILE* f) const { std::fclose(f); }
};
struct ExtFree {
  void operator()(X509_EXTENSION* e) const { X509_EXTENSION_free(e); }
};

std::string openssl_error(const std::string& what) {
  unsigned long code = ERR_get_error();
  char buffer[256] = {0};
  if (code != 0) ERR_error_string_n(code, buffer, sizeof buffer);
  return what + (code ? std::string(": ") + buffer : std::string());
}

// Forward-secret AEAD suites for TLS 1.2; TLS 1.3 suites are all AEAD and keep OpenSSL's order.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr int kCertificateDays = 3650;

}  // namespace

Result<void> ensure_self_signed_certificate(const std::filesystem::path& cert_file,
                                            const std::filesystem::path& key_file,
                                            const std::string& hostname) {
  if (std::filesystem::exists(cert_file) && std::filesystem::exists(key_file)) return {};
  std::error_code ec;
  std::filesystem::create_directories(cert_file.parent_path(), ec);
  std::filesystem::create_directories(key_file.parent_path(), ec);

  std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_EC_gen("P-256"));
  if (!key) return fail(openssl_error("cannot generate TLS key"));
  std::unique_ptr<X509, X509Free> cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), static_cast<long>(time(nullptr)));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 60L * 60 * 24 * kCertificateDays);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("postwarden"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(hostname.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  std::string san = "DNS:" + hostname;
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, ExtFree> ext(
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str()));
  if (!ext || !X509_add_ext(cert.get(), ext.get(), -1))
    return fail(openssl_error("cannot add subjectAltName"));
  if (!X509_sign(cert.get(), key.get(), EVP_sha256())) return fail(openssl_error("cannot sign"));

  {
    int fd = ::open(key_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return fail("cannot write " + key_file.string());
    std::unique_ptr<FILE, FileClose> f(fdopen(fd, "w"));
    if (!f || !PEM_write_PrivateKey(f.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr))
      return fail(openssl_error("cannot write " + key_file.string()));
  }
  std::unique_ptr<FILE, FileClose> f(std::fopen(cert_file.c_str(), "w"));
  if (!f || !PEM_write_X509(f.get(), cert.get()))
    return fail(openssl_error("cannot write " + cert_file.string()));
  return {};
}

Result<std::shared_ptr<boost::asio::ssl::context>> make_server_tls_context(
    const std::filesystem::path& cert_file, const std::filesystem::path& key_file) {
  namespace ssl = boost::asio::ssl;
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                  SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET);
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1)
    return fail(openssl_error("cannot set TLS ciphers"));
  if (SSL_CTX_use_certificate_chain_file(native, cert_file.c_str()) != 1)
    return fail(openssl_error("cannot load TLS certificate " + cert_file.string()));
  if (SSL_CTX_use_PrivateKey_file(native, key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    return fail(openssl_error("cannot load TLS key " + key_file.string()));
  if (SSL_CTX_check_private_key(native) != 1)
    return fail("TLS key " + key_file.string() + " does not match " + cert_file.string());
  // Idle sessions keep no TLS buffers (notes: TLS buffers dominate per-session memory).
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  return context;
}

}  // namespace pw::net
