// Strict base64 and SASL PLAIN parsing against malformed client input (RFC 4648, RFC 4616).
// Every refused case is one a client could send on the wire.
#include "auth/sasl.hpp"

#include <gtest/gtest.h>

#include <initializer_list>

#include "util/base64.hpp"

namespace pw::auth {
namespace {

using namespace std::string_view_literals;

TEST(Base64, RoundTripsEveryPaddingLength) {
  for (std::string_view text : {""sv, "a"sv, "ab"sv, "abc"sv, "abcd"sv, "\0\xff\x10"sv}) {
    auto encoded = util::base64_encode(text);
    auto decoded = util::base64_decode(encoded);
    ASSERT_TRUE(decoded) << encoded;
    EXPECT_EQ(*decoded, text);
  }
  EXPECT_EQ(util::base64_encode("abc"), "YWJj");
  EXPECT_EQ(util::base64_encode("ab"), "YWI=");
  EXPECT_EQ(util::base64_decode("YQ==").value(), "a");
}

TEST(Base64, RefusesMalformedInput) {
  for (std::string_view bad : std::initializer_list<std::string_view>{
           "=", "YQ", "YQ=", "Y===", "====", "YR==", "YWJ=", "YQ==YQ==", "Y Q==", "YQ==\n",
           " YQ==", "YQ=a", "Zm9v=", "YW!j", "YW-_", "\0\0\0\0"sv, "YWJjZA"}) {
    EXPECT_FALSE(util::base64_decode(bad)) << bad;
  }
}

TEST(PlainMessage, SplitsTheThreeFields) {
  auto credentials = parse_plain("admin\0alice@example.com\0secret pass"sv);
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->authzid, "admin");
  EXPECT_EQ(credentials->username, "alice@example.com");
  EXPECT_EQ(credentials->password, "secret pass");
}

TEST(PlainMessage, AllowsAnEmptyAuthzid) {
  auto credentials = parse_plain("\0alice@example.com\0secret"sv);
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->authzid, "");
  EXPECT_EQ(credentials->username, "alice@example.com");
}

TEST(PlainMessage, RefusesMissingFieldsEmptyFieldsAndExtraNuls) {
  for (std::string_view bad :
       {""sv, "alice"sv, "\0alice"sv, "\0alice\0"sv, "\0\0secret"sv, "\0\0"sv,
        "\0alice\0sec\0ret"sv, "a\0b\0c\0"sv, "\0\0alice\0secret"sv}) {
    EXPECT_FALSE(parse_plain(bad)) << testing::PrintToString(std::string(bad));
  }
}

TEST(PlainMessage, ParsesWhatBase64Decoded) {
  auto decoded = util::base64_decode(util::base64_encode("\0bob@example.com\0pw"sv));
  ASSERT_TRUE(decoded);
  auto credentials = parse_plain(*decoded);
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->username, "bob@example.com");
  EXPECT_EQ(credentials->password, "pw");
}

}  // namespace
}  // namespace pw::auth
