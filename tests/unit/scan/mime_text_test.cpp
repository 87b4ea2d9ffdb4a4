// Proves the MIME text extraction (F-SPAM): charsets to UTF-8, base64 and quoted-printable,
// RFC 2047 subjects, HTML to text with links, hidden text and images, forwarded messages, and
// that hostile messages (too many parts, too deep, too large) end with limit_hit, not a crash.
#include "scan/mime_text.hpp"

#include <gtest/gtest.h>

#include <string>

#include "../registry_defaults.hpp"
#include "scan/html_text.hpp"

namespace pw::scan {
namespace {

MessageText text_of(const std::string& message, MimeTextLimits limits = test::text_limits()) {
  return extract_message_text(message, limits);
}

TEST(MimeText, DecodesSubjectAndHeaders) {
  auto t = text_of(
      "From: =?UTF-8?Q?J=C3=BCrgen?= <j@example.com>\r\nTo: a@example.org\r\n"
      "Subject: =?ISO-8859-1?Q?Gr=FC=DFe?= aus Bern\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
      "Message-ID: <1@example.com>\r\nX-Mailer: Thunderbird 115\r\n\r\nHello\r\n");
  EXPECT_EQ(t.subject, "Grüße aus Bern");
  EXPECT_NE(t.from.find("Jürgen"), std::string::npos);
  EXPECT_TRUE(t.has_date);
  EXPECT_TRUE(t.has_message_id);
  EXPECT_EQ(t.x_mailer, "Thunderbird 115");
  EXPECT_EQ(t.plain_parts, 1u);
  EXPECT_NE(t.text.find("Hello"), std::string::npos);
}

TEST(MimeText, ReportsMissingDateAndMessageId) {
  auto t = text_of("Subject: x\r\n\r\nbody\r\n");
  EXPECT_TRUE(t.parsed);
  EXPECT_FALSE(t.has_date);
  EXPECT_FALSE(t.has_message_id);
}

TEST(MimeText, SkipsLeadingMboxFromLine) {
  auto t =
      text_of("From someone@example.com  Thu Aug 22 13:17:22 2002\nSubject: hi there\n\nbody\n");
  EXPECT_EQ(t.subject, "hi there");
  EXPECT_NE(t.text.find("body"), std::string::npos);
}

TEST(MimeText, AnMboxFromLineAloneIsAnEmptyMessage) {
  auto t = text_of("From someone@example.com  Thu Aug 22 13:17:22 2002");
  EXPECT_FALSE(t.parsed);
  EXPECT_TRUE(t.text.empty());
}

TEST(MimeText, ConvertsCharsetsToUtf8) {
  auto t = text_of(
      "Subject: x\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n\r\nCaf=E9 cr=E8me\r\n");
  EXPECT_NE(t.text.find("Café crème"), std::string::npos) << t.text;
}

TEST(MimeText, UndeclaredEightBitTextBecomesValidUtf8) {
  auto t = text_of("Subject: x\r\n\r\nna\xEFve\r\n");
  EXPECT_NE(t.text.find("na\xC3\xAFve"), std::string::npos) << t.text;
}

TEST(MimeText, DecodesBase64Parts) {
  // "Buy cheap watches now" in base64.
  auto t = text_of(
      "Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\nQnV5IGNoZWFwIHdhdGNoZXMgbm93\r\n");
  EXPECT_NE(t.text.find("Buy cheap watches now"), std::string::npos) << t.text;
}

TEST(MimeText, HtmlPartsBecomeTextWithLinksAndImages) {
  auto t = text_of(
      "Subject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
      "<html><head><style>p{color:red}</style><script>var a='hidden';</script></head>"
      "<body><p>Hello&nbsp;&amp; welcome</p><a href=\"http://evil.example/x\">www.bank.com</a>"
      "<img src=x.png><div style=\"display:none\">secret words</div></body></html>\r\n");
  EXPECT_EQ(t.html_parts, 1u);
  EXPECT_EQ(t.plain_parts, 0u);
  EXPECT_NE(t.text.find("Hello\xC2\xA0& welcome"), std::string::npos) << t.text;
  EXPECT_EQ(t.text.find("color:red"), std::string::npos);
  EXPECT_EQ(t.text.find("hidden"), std::string::npos);
  EXPECT_EQ(t.text.find("secret"), std::string::npos);
  EXPECT_NE(t.hidden_text.find("secret words"), std::string::npos);
  ASSERT_EQ(t.links.size(), 1u);
  EXPECT_EQ(t.links[0].text, "www.bank.com");
  EXPECT_EQ(t.links[0].href, "http://evil.example/x");
  EXPECT_EQ(t.images, 1u);
}

TEST(HtmlText, FindsTextInBackgroundColourAndTinyFonts) {
  auto h = html_to_text(
      "<body bgcolor=\"#FFFFFF\"><font color=\"#ffffff\">white on white</font>"
      "<span style=\"font-size:0px\">zero size</span><p>shown</p></body>");
  EXPECT_NE(h.hidden_text.find("white on white"), std::string::npos);
  EXPECT_NE(h.hidden_text.find("zero size"), std::string::npos);
  EXPECT_EQ(h.text, "shown");
}

TEST(HtmlText, DecodesNumericReferences) {
  auto h = html_to_text("&#72;&#x49; &euro;5 &bogus; a < b");
  EXPECT_EQ(h.text,
            "HI \xE2\x82\xAC"
            "5 &bogus; a < b");
}

TEST(MimeText, MultipartAlternativeKeepsPlainAndHtml) {
  auto t = text_of(
      "Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"
      "--b\r\nContent-Type: text/plain\r\n\r\nplain words\r\n"
      "--b\r\nContent-Type: text/html\r\n\r\n<b>html words</b>\r\n--b--\r\n");
  EXPECT_EQ(t.plain_parts, 1u);
  EXPECT_EQ(t.html_parts, 1u);
  EXPECT_NE(t.plain.find("plain words"), std::string::npos);
  EXPECT_NE(t.html_text.find("html words"), std::string::npos);
  EXPECT_LT(t.text.find("plain words"), t.text.find("html words"));
}

TEST(MimeText, FollowsForwardedMessages) {
  auto t = text_of(
      "Subject: fwd\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
      "--b\r\nContent-Type: text/plain\r\n\r\nsee below\r\n"
      "--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner subject\r\n"
      "Content-Type: text/plain\r\n\r\ninner body text\r\n--b--\r\n");
  EXPECT_NE(t.text.find("inner body text"), std::string::npos) << t.text;
  EXPECT_NE(t.text.find("inner subject"), std::string::npos);
  EXPECT_EQ(t.subject, "fwd");
}

TEST(MimeText, AttachmentsAreNotText) {
  auto t = text_of(
      "Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
      "--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
      "--b\r\nContent-Type: text/plain; name=a.txt\r\nContent-Disposition: attachment\r\n\r\n"
      "attached words\r\n--b\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n--b--\r\n");
  EXPECT_EQ(t.text.find("attached words"), std::string::npos);
  EXPECT_EQ(t.attachments, 2u);
}

std::string nested(std::size_t levels) {
  std::string m = "Subject: deep\r\nMIME-Version: 1.0\r\n";
  for (std::size_t i = 0; i < levels; ++i)
    m += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" +
         std::to_string(i) + "\r\n";
  m += "Content-Type: text/plain\r\n\r\ndeep text\r\n";
  for (std::size_t i = levels; i-- > 0;) m += "--b" + std::to_string(i) + "--\r\n";
  return m;
}

TEST(MimeText, StopsAtDepthLimit) {
  MimeTextLimits limits = test::text_limits();
  limits.max_depth = 5;
  auto t = text_of(nested(20), limits);
  EXPECT_TRUE(t.limit_hit);
  EXPECT_NE(t.limit_reason.find("deeper than 5"), std::string::npos);
  EXPECT_FALSE(text_of(nested(3), limits).limit_hit);
}

TEST(MimeText, StopsAtPartLimitBeforeParsing) {
  MimeTextLimits limits = test::text_limits();
  limits.max_parts = 10;
  std::string m =
      "Subject: many\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n";
  for (int i = 0; i < 50; ++i) m += "--b\r\nContent-Type: text/plain\r\n\r\npart\r\n";
  m += "--b--\r\n";
  auto t = text_of(m, limits);
  EXPECT_TRUE(t.limit_hit);
  EXPECT_NE(t.limit_reason.find("more than 10"), std::string::npos);
}

TEST(MimeText, StopsAtDecodedBytesLimit) {
  MimeTextLimits limits = test::text_limits();
  limits.max_decoded_bytes = 1024;
  auto t = text_of("Subject: big\r\n\r\n" + std::string(5000, 'a') + "\r\n", limits);
  EXPECT_TRUE(t.limit_hit);
  EXPECT_NE(t.limit_reason.find("1024 bytes"), std::string::npos);
}

TEST(MimeText, GarbageGivesAnEmptyResultNotACrash) {
  for (const std::string& m :
       {std::string(), std::string("\0\0\0", 3), std::string("<<<>>>"),
        std::string("Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n")}) {
    auto t = text_of(m);
    EXPECT_FALSE(t.limit_hit);
  }
}

}  // namespace
}  // namespace pw::scan
