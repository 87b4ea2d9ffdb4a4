// Proves the command-line grammar: verbs, paths, ESMTP parameters and their errors.
#include "smtp/command_parser.hpp"

#include <gtest/gtest.h>

namespace pw::smtp {
namespace {

TEST(CommandParser, RecognisesVerbsCaseInsensitively) {
  EXPECT_EQ(parse_command("ehlo client.example").command.verb, Verb::kEhlo);
  EXPECT_EQ(parse_command("StartTLS").command.verb, Verb::kStartTls);
  EXPECT_EQ(parse_command("XYZZY").command.verb, Verb::kUnknown);
  EXPECT_FALSE(parse_command("XYZZY").error);
}

TEST(CommandParser, ParsesMailWithParameters) {
  auto p = parse_command("MAIL FROM:<a@example.com> SIZE=1000 BODY=8BITMIME SMTPUTF8");
  ASSERT_FALSE(p.error);
  EXPECT_EQ(p.command.path, "a@example.com");
  EXPECT_EQ(p.command.mail.size, 1000u);
  EXPECT_EQ(p.command.mail.body, BodyType::k8BitMime);
  EXPECT_TRUE(p.command.mail.smtputf8);
}

TEST(CommandParser, AcceptsNullSenderAndSpaceAfterColon) {
  auto p = parse_command("MAIL FROM: <>");
  ASSERT_FALSE(p.error);
  EXPECT_EQ(p.command.path, "");
}

TEST(CommandParser, StripsSourceRoute) {
  auto p = parse_command("RCPT TO:<@relay.example:bob@example.org>");
  ASSERT_FALSE(p.error);
  EXPECT_EQ(p.command.path, "bob@example.org");
}

TEST(CommandParser, RejectsMalformedPaths) {
  EXPECT_EQ(parse_command("MAIL FROM:a@example.com").error->code, 501);
  EXPECT_EQ(parse_command("MAIL FROM:<a@example.com").error->code, 501);
  EXPECT_EQ(parse_command("MAIL TO:<a@example.com>").error->code, 501);
  EXPECT_EQ(parse_command("RCPT TO:<a@example.com>junk").error->code, 501);
}

TEST(CommandParser, RejectsUnknownOrBadParameters) {
  EXPECT_EQ(parse_command("MAIL FROM:<a@b.c> FOO=1").error->code, 555);
  EXPECT_EQ(parse_command("MAIL FROM:<a@b.c> SIZE=abc").error->code, 501);
  EXPECT_EQ(parse_command("MAIL FROM:<a@b.c> BODY=BINARYMIME").error->code, 555);
  EXPECT_EQ(parse_command("RCPT TO:<a@b.c> NOTIFY=NEVER").error->code, 555);
}

TEST(CommandParser, RejectsNulInCommand) {
  auto p = parse_command(std::string("NOOP\0x", 6));
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error->code, 500);
  EXPECT_EQ(p.error->enhanced, "5.5.2");
}

TEST(CommandParser, RejectsArgumentsWhereNoneAllowed) {
  EXPECT_EQ(parse_command("DATA now").error->code, 501);
  EXPECT_EQ(parse_command("STARTTLS x").error->code, 501);
  EXPECT_TRUE(parse_command("EHLO").error);
}

TEST(MailboxSyntax, AcceptsOrdinaryAndQuotedAddresses) {
  EXPECT_FALSE(mailbox_syntax_error("user.name+tag@example.com", false));
  EXPECT_FALSE(mailbox_syntax_error("\"odd @ local\"@example.com", false));
  EXPECT_FALSE(mailbox_syntax_error("user@[192.0.2.1]", false));
}

TEST(MailboxSyntax, RejectsBadAddresses) {
  EXPECT_TRUE(mailbox_syntax_error("no-domain", false));
  EXPECT_TRUE(mailbox_syntax_error(".lead@example.com", false));
  EXPECT_TRUE(mailbox_syntax_error("a..b@example.com", false));
  EXPECT_TRUE(mailbox_syntax_error("a@-bad.example", false));
  EXPECT_TRUE(mailbox_syntax_error("a@exa mple.com", false));
  EXPECT_TRUE(mailbox_syntax_error(std::string(65, 'a') + "@example.com", false));
}

TEST(MailboxSyntax, Utf8OnlyWithSmtpUtf8AndOnlyWellFormed) {
  EXPECT_TRUE(mailbox_syntax_error("j\xc3\xb6rg@example.com", false));
  EXPECT_FALSE(mailbox_syntax_error("j\xc3\xb6rg@example.com", true));
  EXPECT_TRUE(mailbox_syntax_error("j\xc3@example.com", true));       // truncated sequence
  EXPECT_TRUE(mailbox_syntax_error("j\xc0\xafr@example.com", true));  // overlong
}

}  // namespace
}  // namespace pw::smtp
