// F-FROM: the address of the From header field (RFC 5322 3.6.2) as the sender checks see it.
// Trust: the messages here play hostile SMTP clients; anything not one plain mailbox gives "".
#include "policy/header_from.hpp"

#include <gtest/gtest.h>

#include <string>

namespace pw::policy {
namespace {

std::string from_of(std::string_view header_section) {
  return header_from_address(std::string(header_section) + "\r\nbody\r\n");
}

TEST(HeaderFrom, ReadsABareAddrSpec) {
  EXPECT_EQ(from_of("From: alice@example.com\r\nTo: bob@example.org\r\n"), "alice@example.com");
  EXPECT_EQ(from_of("Subject: hi\r\nFrom:alice@example.com\r\n"), "alice@example.com");
  EXPECT_EQ(from_of("from: \talice@example.com \t\r\n"), "alice@example.com");
  EXPECT_EQ(from_of("FROM: alice@example.com\r\n"), "alice@example.com");
}

TEST(HeaderFrom, TakesTheAngleAddrOfANameAddr) {
  EXPECT_EQ(from_of("From: Alice <alice@example.com>\r\n"), "alice@example.com");
  EXPECT_EQ(from_of("From: <alice@example.com>\r\n"), "alice@example.com");
  EXPECT_EQ(from_of("From: \"Doe, Alice\" <alice@example.com>\r\n"), "alice@example.com");
  EXPECT_EQ(from_of("From: \"Alice (work)\" < alice@example.com >\r\n"), "alice@example.com");
}

// Regression test (bug found by this test, fixed in f9bbd02; src/policy/header_from.cpp,
// header_from_address, the "several mailboxes" test
// `v.substr(0, open).find('<')`): a '<' inside the quoted display name is taken for a second
// mailbox. Input: From: "Doe, <Alice>" <alice@example.com>; expected "alice@example.com",
// actual "". Quoted strings may hold any printable character (RFC 5322 3.2.4).
TEST(HeaderFrom, AQuotedDisplayNameMayHoldCommaAndAngleBracket) {
  EXPECT_EQ(from_of("From: \"Doe, <Alice>\" <alice@example.com>\r\n"), "alice@example.com");
  EXPECT_EQ(from_of("From: \"a<b\" <alice@example.com>\r\n"), "alice@example.com");
}

TEST(HeaderFrom, DropsComments) {
  EXPECT_EQ(from_of("From: alice@example.com (Alice Doe)\r\n"), "alice@example.com");
  EXPECT_EQ(from_of("From: (Alice) alice@example.com\r\n"), "alice@example.com");
  EXPECT_EQ(from_of("From: Alice (the (nested) one, <x@y>) <alice@example.com>\r\n"),
            "alice@example.com");
  EXPECT_EQ(from_of("From: alice(c)@example.com\r\n"), "alice@example.com");
  // A parenthesis inside a quoted string is not a comment.
  EXPECT_EQ(from_of("From: \"Alice :-)\" <alice@example.com>\r\n"), "alice@example.com");
}

TEST(HeaderFrom, UnfoldsAFoldedField) {
  EXPECT_EQ(from_of("From: Alice Doe\r\n <alice@example.com>\r\nTo: b@example.org\r\n"),
            "alice@example.com");
  EXPECT_EQ(from_of("From:\r\n\talice@example.com\r\n"), "alice@example.com");
  EXPECT_EQ(from_of("From: \"Alice\r\n Doe\"\r\n  (comment)\r\n <alice@example.com>\r\n"),
            "alice@example.com");
}

TEST(HeaderFrom, LowersTheCaseOfTheDomainOnly) {
  EXPECT_EQ(from_of("From: Alice.Doe@Example.COM\r\n"), "Alice.Doe@example.com");
  EXPECT_EQ(from_of("From: <ALICE@EXAMPLE.COM>\r\n"), "ALICE@example.com");
}

TEST(HeaderFrom, NoFromFieldGivesNothing) {
  EXPECT_EQ(from_of("To: bob@example.org\r\nSubject: x\r\n"), "");
  EXPECT_EQ(from_of("Sender: alice@example.com\r\nResent-From: alice@example.com\r\n"), "");
  EXPECT_EQ(from_of("From-Address: alice@example.com\r\n"), "");
  EXPECT_EQ(header_from_address(""), "");
  EXPECT_EQ(header_from_address("\r\n"), "");
  EXPECT_EQ(from_of("From:\r\n"), "");
  EXPECT_EQ(from_of("From: <>\r\n"), "");
}

TEST(HeaderFrom, TheFirstFromFieldWins) {
  EXPECT_EQ(from_of("From: alice@example.com\r\nFrom: mallory@evil.example\r\n"),
            "alice@example.com");
  EXPECT_EQ(from_of("From: alice@example.com\r\n folded@tail.example\r\nFrom: m@evil.example\r\n"),
            "");  // the first field, unfolded, is two words: not one mailbox
}

TEST(HeaderFrom, AListOfMailboxesGivesNothing) {
  EXPECT_EQ(from_of("From: alice@example.com, bob@example.com\r\n"), "");
  EXPECT_EQ(from_of("From: <alice@example.com>, <bob@example.com>\r\n"), "");
  EXPECT_EQ(from_of("From: Alice <alice@example.com>, bob@example.com\r\n"), "");
  EXPECT_EQ(from_of("From: alice@example.com bob@example.com\r\n"), "");
}

// Regression test (bug found by this test, fixed in f9bbd02; src/policy/header_from.cpp,
// header_from_address: the list test only looks for a second
// '<' before the last one, and for ',' inside the angle-addr): a list whose first mailbox is a
// bare addr-spec and whose last is a name-addr yields the last address. Input:
// "From: alice@example.com, Bob <bob@example.com>"; expected "", actual "bob@example.com".
TEST(HeaderFrom, AListEndingInANameAddrGivesNothing) {
  EXPECT_EQ(from_of("From: alice@example.com, Bob <bob@example.com>\r\n"), "");
  // The spoofing form: a foreign first mailbox, the user's own domain last.
  EXPECT_EQ(from_of("From: ceo@bank.example, Alice <alice@example.com>\r\n"), "");
}

TEST(HeaderFrom, GroupSyntaxGivesNothing) {
  EXPECT_EQ(from_of("From: Team: alice@example.com, bob@example.com;\r\n"), "");
  EXPECT_EQ(from_of("From: Team:alice@example.com;\r\n"), "");
  EXPECT_EQ(from_of("From: undisclosed-senders:;\r\n"), "");
  EXPECT_EQ(from_of("From: Team: <alice@example.com>;\r\n"), "");
}

TEST(HeaderFrom, AnAddressWithoutAtOrWithAnEmptyPartGivesNothing) {
  EXPECT_EQ(from_of("From: alice\r\n"), "");
  EXPECT_EQ(from_of("From: Alice <alice>\r\n"), "");
  EXPECT_EQ(from_of("From: @example.com\r\n"), "");
  EXPECT_EQ(from_of("From: alice@\r\n"), "");
  EXPECT_EQ(from_of("From: <alice@example.com\r\n"), "");     // unclosed
  EXPECT_EQ(from_of("From: <alice@example.com> x\r\n"), "");  // text after the angle-addr
}

TEST(HeaderFrom, TheBodyIsNotRead) {
  EXPECT_EQ(header_from_address("Subject: x\r\n\r\nFrom: alice@example.com\r\n"), "");
  EXPECT_EQ(header_from_address("\r\nFrom: alice@example.com\r\n"), "");
  EXPECT_EQ(header_from_address("From: alice@example.com\r\n\r\nFrom: mallory@evil.example\r\n"),
            "alice@example.com");
  // A message that is only a header section, without the empty line.
  EXPECT_EQ(header_from_address("From: alice@example.com"), "alice@example.com");
}

TEST(HeaderFrom, AVeryLongFoldedFieldGivesNothing) {
  std::string field = "From: Alice";
  for (int i = 0; i < 100; ++i) field += "\r\n " + std::string(70, 'x');
  field += "\r\n <alice@example.com>\r\n";
  EXPECT_EQ(from_of(field), "");
  // Just under the bound is still read.
  std::string shorter = "From: Alice";
  for (int i = 0; i < 40; ++i) shorter += "\r\n (" + std::string(70, 'x') + ")";
  shorter += "\r\n <alice@example.com>\r\n";
  EXPECT_EQ(from_of(shorter), "alice@example.com");
}

// Regression test (bug found by this test, fixed in f9bbd02; src/policy/header_from.cpp,
// header_from_address: kMaxFieldLength is only checked when a
// continuation line is appended): a single unfolded From line longer than 4096 octets is read
// whole. Input: "From: " + 5000 x 'a' + "@example.com"; expected "" (the field is over the
// bound), actual the 5012-octet address.
TEST(HeaderFrom, AVeryLongSingleLineFieldGivesNothing) {
  EXPECT_EQ(from_of("From: " + std::string(5000, 'a') + "@example.com\r\n"), "");
  EXPECT_EQ(from_of("From: \"" + std::string(5000, 'n') + "\" <alice@example.com>\r\n"), "");
}

// Regression test (bug found by this test, fixed in f9bbd02; src/policy/header_from.cpp, end of
// header_from_address): the result is not checked to be
// one addr-spec: a second '@', or a bare LF or CR inside the line, passes through. Lines are
// split at CRLF only, so in "From: alice@example.com\nX:y\n\nbody\n" (LF-only line ends) the
// whole message is the field and the result is "alice@example.com\nx:y\n\nbody\n"; expected ""
// (no line break may reach the log or a reply). "From: a@b@example.com" gives "a@b@example.com",
// expected "" (an unquoted local part cannot hold '@').
TEST(HeaderFrom, TheResultIsOneAddrSpecWithoutLineBreaks) {
  EXPECT_EQ(from_of("From: a@b@example.com\r\n"), "");
  EXPECT_EQ(header_from_address("From: alice@example.com\nX:y\n\nbody\n").find('\n'),
            std::string::npos);
  EXPECT_EQ(from_of("From: alice@example.com\rX\r\n").find('\r'), std::string::npos);
}

}  // namespace
}  // namespace pw::policy
