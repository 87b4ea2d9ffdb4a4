// TLS contexts on OpenSSL 3, and first-start certificate generation with the EVP/X509 API.
// Trust: certificate and key files are admin input; errors name the file.
#include "net/tls_context.hpp"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <boost/asio/ssl.hpp>
#include <cstdio>
#include <utility>

#include "util/durable_file.hpp"

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
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
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
// A certificate a day longer than allowed still counts as allowed (notBefore back-dating).
constexpr int64_t kNotBeforeSlackDays = 1;
constexpr int kSerialBytes = 16;

// A random positive serial (RFC 5280 4.1.2.2: unique per issuer, at most 20 octets).
bool set_random_serial(X509* cert) {
  unsigned char bytes[kSerialBytes];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return false;
  bytes[0] &= 0x7f;
  bytes[0] |= 0x01;
  std::unique_ptr<BIGNUM, decltype(&BN_free)> number(BN_bin2bn(bytes, sizeof bytes, nullptr),
                                                     &BN_free);
  return number && BN_to_ASN1_INTEGER(number.get(), X509_get_serialNumber(cert)) != nullptr;
}

}  // namespace

bool certificate_needs_renewal(const std::filesystem::path& cert_file, SelfSignedPolicy policy,
                               time_t now) {
  std::unique_ptr<FILE, FileClose> f(std::fopen(cert_file.c_str(), "r"));
  if (!f) return true;
  std::unique_ptr<X509, X509Free> cert(PEM_read_X509(f.get(), nullptr, nullptr, nullptr));
  if (!cert) return true;
  int days = 0;
  int seconds = 0;
  // Made for longer than allowed (a 10-year certificate of an older version): made again.
  if (ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(cert.get()),
                     X509_get0_notAfter(cert.get())) != 1 ||
      days > policy.days + kNotBeforeSlackDays)
    return true;
  const int64_t renew_before =
      std::max<int64_t>(0, std::min(policy.renew_before_days, policy.days - 1));
  time_t threshold = now + static_cast<time_t>(renew_before * 86400);
  return X509_cmp_time(X509_get0_notAfter(cert.get()), &threshold) <= 0;
}

namespace {

// Key first, then certificate, each through the one durable writer (0600, fdatasync, rename,
// directory fsync): a reload between the two sees a mismatch and keeps the old pair; the next
// check loads the new one.
Result<bool> write_key_and_certificate(EVP_PKEY* key, X509* cert,
                                       const std::filesystem::path& key_file,
                                       const std::filesystem::path& cert_file) {
  std::unique_ptr<BIO, BioFree> key_pem(BIO_new(BIO_s_mem()));
  std::unique_ptr<BIO, BioFree> cert_pem(BIO_new(BIO_s_mem()));
  if (!key_pem || !cert_pem ||
      !PEM_write_bio_PrivateKey(key_pem.get(), key, nullptr, nullptr, 0, nullptr, nullptr) ||
      !PEM_write_bio_X509(cert_pem.get(), cert))
    return fail(openssl_error("cannot encode the TLS key and certificate"));
  for (auto [bio, file] : {std::pair{key_pem.get(), &key_file}, {cert_pem.get(), &cert_file}}) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    auto tmp = *file;
    tmp += ".new";
    auto written = util::write_durably({tmp, *file, util::Placement::kReplace},
                                       std::string_view(data, static_cast<size_t>(size)));
    if (!written)
      return fail("cannot put the new TLS certificate in place: " + written.error().message);
  }
  return true;
}

}  // namespace

Result<bool> ensure_self_signed_certificate(const std::filesystem::path& cert_file,
                                            const std::filesystem::path& key_file,
                                            const std::string& hostname, SelfSignedPolicy policy) {
  if (std::filesystem::exists(cert_file) && std::filesystem::exists(key_file) &&
      !certificate_needs_renewal(cert_file, policy, time(nullptr)))
    return false;
  std::error_code ec;
  std::filesystem::create_directories(cert_file.parent_path(), ec);
  std::filesystem::create_directories(key_file.parent_path(), ec);

  std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_EC_gen("P-256"));
  if (!key) return fail(openssl_error("cannot generate TLS key"));
  std::unique_ptr<X509, X509Free> cert(X509_new());
  X509_set_version(cert.get(), 2);
  if (!set_random_serial(cert.get())) return fail(openssl_error("cannot make a serial number"));
  // notBefore an hour back for clocks a little behind; the whole span stays within `days`.
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400L * policy.days - 3600);
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

  return write_key_and_certificate(key.get(), cert.get(), key_file, cert_file);
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
