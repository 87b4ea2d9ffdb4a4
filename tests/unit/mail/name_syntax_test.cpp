// Domain names, e-mail addresses and DKIM selectors as admins type them: canonical forms and
// refusals with a reason.
#include "mail/name_syntax.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "util/ascii_text.hpp"

namespace pw::mail {
namespace {

TEST(DomainName, IsLowerCasedAndLosesOneTrailingDot) {
  EXPECT_EQ(canonical_domain_name("Mail.Example.COM").value(), "mail.example.com");
  EXPECT_EQ(canonical_domain_name("example.com.").value(), "example.com");
}

TEST(DomainName, AcceptsIdnaALabels) {
  EXPECT_EQ(canonical_domain_name("xn--bcher-kva.example").value(), "xn--bcher-kva.example");
}

TEST(DomainName, RefusesUnqualifiedMalformedOrOverlongNames) {
  std::string long_label(64, 'a');
  std::string long_name;
  while (long_name.size() <= 253) long_name += "abcdefghi.";
  long_name += "com";
  for (const std::string& bad : std::vector<std::string>{
           "", "localhost", "example..com", ".example.com", "-example.com", "example-.com",
           "exa mple.com", "example.com..", "exa_mple.com", "192.0.2.1",
           "b\xc3\xbc"
           "cher.example",
           "example.com\n", long_label + ".com", long_name}) {
    EXPECT_FALSE(canonical_domain_name(bad)) << bad;
  }
}

TEST(DomainName, ExplainsThatUnicodeNamesNeedALabels) {
  auto result = canonical_domain_name(
      "b\xc3\xbc"
      "cher.example");
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("xn--"), std::string::npos);
}

TEST(EmailAddress, IsLowerCased) {
  EXPECT_EQ(canonical_email_address("Alice.Smith+tag@Example.COM").value(),
            "alice.smith+tag@example.com");
}

TEST(EmailAddress, RefusesMalformedAddresses) {
  std::string long_local(65, 'a');
  for (const std::string& bad : std::vector<std::string>{
           "", "alice", "@example.com", "alice@", "al ice@example.com", "alice@exa mple.com",
           "alice@localhost", ".alice@example.com", "alice.@example.com", "al..ice@example.com",
           "\"al ice\"@example.com", "al\tice@example.com", "al<ice@example.com",
           "alice@example.com\r\n", long_local + "@example.com"}) {
    EXPECT_FALSE(canonical_email_address(bad)) << bad;
  }
}

TEST(EmailAddress, RefusesAddressesLongerThan254Octets) {
  std::string domain;
  for (int i = 0; i < 22; ++i) domain += "abcdefghij.";
  domain += "abcd.com";  // 250 octets: a valid domain name on its own
  ASSERT_TRUE(canonical_domain_name(domain));
  auto result = canonical_email_address("alice@" + domain);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("longer than 254"), std::string::npos);
}

TEST(DkimSelector, AcceptsLabelsAndEmpty) {
  EXPECT_EQ(canonical_dkim_selector("S2026").value(), "s2026");
  EXPECT_EQ(canonical_dkim_selector("mail.2026-11").value(), "mail.2026-11");
  EXPECT_EQ(canonical_dkim_selector("").value(), "");
  EXPECT_FALSE(canonical_dkim_selector("bad selector"));
  EXPECT_FALSE(canonical_dkim_selector("a..b"));
  EXPECT_FALSE(canonical_dkim_selector("-a"));
}

TEST(QuoteForMessage, ReplacesControlBytesAndCutsLongText) {
  EXPECT_EQ(util::quote_for_message("a\nb\x01"), "\"a?b?\"");
  auto long_text = util::quote_for_message(std::string(500, 'x'));
  EXPECT_LT(long_text.size(), 100u);
  EXPECT_NE(long_text.find("..."), std::string::npos);
}

}  // namespace
}  // namespace pw::mail
