// Server certificates (issue 15, item 15): the self-signed one is valid at most 397 days and made
// again before it expires; changed files are loaded without a restart, and a file that does not
// load keeps the old certificate.
#include "net/server_tls.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <boost/asio/ssl.hpp>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "../store/temp_dir.hpp"
#include "net/tls_context.hpp"

namespace pw::net {
namespace {

namespace fs = std::filesystem;

// notAfter - notBefore of a PEM certificate, in seconds.
int64_t validity_seconds(const fs::path& cert_file) {
  FILE* f = std::fopen(cert_file.c_str(), "r");
  if (!f) return -1;
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (!cert) return -1;
  int days = 0;
  int seconds = 0;
  ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(cert), X509_get0_notAfter(cert));
  X509_free(cert);
  return int64_t{days} * 86400 + seconds;
}

class ServerTlsTest : public testing::Test {
 protected:
  test::TempDir dir_;
  fs::path cert_ = dir_.file("cert.pem");
  fs::path key_ = dir_.file("key.pem");
  SelfSignedPolicy policy_{397, 30};
};

TEST_F(ServerTlsTest, SelfSignedCertificateIsValidAtMost397Days) {
  ASSERT_TRUE(ensure_self_signed_certificate(cert_, key_, "mx.example", policy_).value());
  EXPECT_LE(validity_seconds(cert_), 397 * 86400);
  EXPECT_GT(validity_seconds(cert_), 396 * 86400);
  // A second start changes nothing: the certificate is not due.
  EXPECT_FALSE(ensure_self_signed_certificate(cert_, key_, "mx.example", policy_).value());
  EXPECT_EQ(fs::perms::owner_read | fs::perms::owner_write,
            fs::status(key_).permissions() & fs::perms::all);
}

// Written through the one durable writer: no temporary file is left beside the pair, and a
// planted symlink at a temporary name is never written through.
TEST_F(ServerTlsTest, SelfSignedPairLeavesNoTemporaryFileAndFollowsNoSymlink) {
  const fs::path target = dir_.file("elsewhere");
  std::ofstream(target) << "untouched";
  fs::create_symlink(target, dir_.file("key.pem.new"));
  ASSERT_TRUE(ensure_self_signed_certificate(cert_, key_, "mx.example", policy_).value());
  EXPECT_FALSE(fs::exists(fs::symlink_status(dir_.file("key.pem.new"))));
  EXPECT_FALSE(fs::exists(dir_.file("cert.pem.new")));
  std::ifstream kept(target);
  std::string text((std::istreambuf_iterator<char>(kept)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "untouched");
  EXPECT_GT(validity_seconds(cert_), 0);
}

TEST_F(ServerTlsTest, SelfSignedCertificateIsRenewedWithinRenewBeforeDays) {
  ASSERT_TRUE(ensure_self_signed_certificate(cert_, key_, "mx.example", policy_).value());
  const time_t now = time(nullptr);
  EXPECT_FALSE(certificate_needs_renewal(cert_, policy_, now));
  EXPECT_FALSE(certificate_needs_renewal(cert_, policy_, now + 360L * 86400));
  EXPECT_TRUE(certificate_needs_renewal(cert_, policy_, now + 368L * 86400));
  EXPECT_TRUE(certificate_needs_renewal(cert_, policy_, now + 400L * 86400));
  // A certificate made for longer than allowed (10 years by an older version) is renewed now.
  EXPECT_TRUE(certificate_needs_renewal(cert_, {100, 30}, now));
  EXPECT_TRUE(certificate_needs_renewal(dir_.file("missing.pem"), policy_, now));
  // A short-lived certificate is renewed before it expires, even with a long renew_before_days.
  SelfSignedPolicy short_lived{10, 365};
  fs::path short_cert = dir_.file("short.pem");
  ASSERT_TRUE(
      ensure_self_signed_certificate(short_cert, dir_.file("short.key"), "mx.example", short_lived)
          .value());
  EXPECT_FALSE(certificate_needs_renewal(short_cert, short_lived, now));
  EXPECT_TRUE(certificate_needs_renewal(short_cert, short_lived, now + 2L * 86400));
}

TEST_F(ServerTlsTest, ChangedFilesAreLoadedAndBadOnesKeepTheOldCertificate) {
  ASSERT_TRUE(ensure_self_signed_certificate(cert_, key_, "mx.example", policy_).value());
  auto tls = ServerTls::load(cert_, key_).value();
  auto first = tls->current();
  const std::string first_name = tls->describe();
  EXPECT_FALSE(tls->reload_if_changed().value());
  EXPECT_EQ(tls->current(), first);

  // A new pair (renamed into place, as a renewal does): loaded at the next check.
  SelfSignedPolicy renew_now{1, 1};
  ASSERT_TRUE(ensure_self_signed_certificate(cert_, key_, "mx.example", renew_now).value());
  ASSERT_TRUE(tls->reload_if_changed().value());
  auto second = tls->current();
  EXPECT_NE(second, first);
  EXPECT_NE(tls->describe(), first_name);

  // A broken certificate: an error, reported once, and the second pair stays in use.
  { std::ofstream(cert_) << "-----BEGIN CERTIFICATE-----\nnot base64\n"; }
  EXPECT_FALSE(tls->reload_if_changed());
  EXPECT_EQ(tls->current(), second);
  EXPECT_FALSE(tls->reload_if_changed().value());
  EXPECT_FALSE(tls->reload());  // forced (SIGHUP): the same error, still the second pair
  EXPECT_EQ(tls->current(), second);
  EXPECT_FALSE(ServerTls::load(cert_, key_));
}

}  // namespace
}  // namespace pw::net
