// Proves the pre-parse guard (issue 15, item 4): a message GMime would blow up into a million
// parts, or into a million header fields, is refused before GMime parses it, quickly, by both
// scanners; the guard's counts are an upper bound of what GMime builds (boundaries declared
// quoted, unquoted, folded, nested or in forms it cannot read literally), and ordinary messages
// are not refused.
#include "scan/mime_guard.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "../registry_defaults.hpp"
#include "scan/attachment_scanner.hpp"
#include "scan/mime_text.hpp"

namespace pw::scan {
namespace {

using Clock = std::chrono::steady_clock;

// The attack of the issue: one Content-Type, then "--B" and two empty lines a million times.
std::string part_bomb(int parts) {
  std::string m =
      "From: a@example.com\r\nTo: b@example.org\r\nSubject: bomb\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n";
  m.reserve(m.size() + 9u * static_cast<std::size_t>(parts));
  for (int i = 0; i < parts; ++i) m += "--B\r\n\r\n\r\n";
  return m;
}

// One part whose header section is `fields` lines "X:a".
std::string header_bomb(int fields) {
  std::string m =
      "From: a@example.com\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n";
  m.reserve(m.size() + 5u * static_cast<std::size_t>(fields));
  for (int i = 0; i < fields; ++i) m += "X:a\r\n";
  return m + "\r\nbody\r\n--B--\r\n";
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

TEST(MimeGuard, PartBombIsRefusedByTheAttachmentScanBeforeParsing) {
  const std::string bomb = part_bomb(1000000);
  ASSERT_GT(bomb.size(), 9u * 1000 * 1000);
  const auto start = Clock::now();
  const AttachmentReport r = scan_attachments(bomb, test::attachment_limits());
  const double took = seconds_since(start);
  EXPECT_TRUE(r.limit_hit);
  EXPECT_NE(r.limit_reason.find("boundary lines"), std::string::npos) << r.limit_reason;
  EXPECT_EQ(r.parts, 0u);  // GMime never built the tree (it took 19 s and 1.5 GB before)
  EXPECT_LT(took, 3.0);
}

TEST(MimeGuard, PartBombIsRefusedByTheTextScanBeforeParsing) {
  const std::string bomb = part_bomb(1000000);
  const auto start = Clock::now();
  const MessageText t = extract_message_text(bomb, test::text_limits());
  EXPECT_TRUE(t.limit_hit);
  EXPECT_FALSE(t.parsed);
  EXPECT_LT(seconds_since(start), 3.0);
}

TEST(MimeGuard, HeaderFieldBombInAPartIsRefusedBeforeParsing) {
  // 1.8 million fields cost GMime 4.9 s and 860 MB.
  const std::string bomb = header_bomb(1800000);
  const auto start = Clock::now();
  const AttachmentReport r = scan_attachments(bomb, test::attachment_limits());
  EXPECT_TRUE(r.limit_hit);
  EXPECT_NE(r.limit_reason.find("header fields"), std::string::npos) << r.limit_reason;
  EXPECT_LT(seconds_since(start), 3.0);
  EXPECT_TRUE(extract_message_text(bomb, test::text_limits()).limit_hit);
}

TEST(MimeGuard, CountsOnlyLinesOfDeclaredBoundaries) {
  const std::string m =
      "Content-Type: multipart/mixed;\r\n boundary=\"=_abc\"\r\n\r\n--=_abc\r\n"
      "Content-Type: text/plain\r\n\r\n-- \r\nsignature\r\n--not a boundary\r\n"
      "----------\r\n--=_abc--\r\n";
  const MimeShape s = mime_shape(m);
  EXPECT_TRUE(s.literal_boundaries);
  EXPECT_EQ(s.delimiter_lines, 2u);
  EXPECT_EQ(s.content_type_lines, 2u);
}

TEST(MimeGuard, UnquotedNestedAndTrailingBlankBoundariesAreCounted) {
  const std::string m =
      "Content-Type: multipart/mixed; boundary=outer\r\n\r\n--outer \r\n"
      "Content-Type: multipart/alternative; boundary = \"in ner\"\r\n\r\n--in ner\r\n\r\nx\r\n"
      "--in ner--\t\r\n--outer--\r\n";
  EXPECT_EQ(mime_shape(m).delimiter_lines, 4u);
}

TEST(MimeGuard, BoundaryItCannotReadLiterallyCountsEveryDashLine) {
  // RFC 2231 continuations: the boundary "ab" is not written anywhere as such.
  const std::string m =
      "Content-Type: multipart/mixed; boundary*0=\"a\"; boundary*1=\"b\"\r\n\r\n--ab\r\n--zz\r\n";
  const MimeShape s = mime_shape(m);
  EXPECT_FALSE(s.literal_boundaries);
  EXPECT_EQ(s.delimiter_lines, 2u);
  std::string bomb = "Content-Type: multipart/mixed; boundary*=us-ascii''B\r\n\r\n";
  for (int i = 0; i < 1000; ++i) bomb += "--B\r\n\r\n";
  EXPECT_FALSE(mime_parse_refusal(bomb, 500, 10000).empty());
}

TEST(MimeGuard, AttachedMessageHeaderIsCounted) {
  const std::string m =
      "From: a\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n"
      "Content-Type: message/rfc822\r\n\r\nFrom: c\r\nTo: d\r\n\r\nbody: 1\r\n--B--\r\n";
  // From, Content-Type; the part's Content-Type; the attached message's From and To.
  EXPECT_EQ(mime_shape(m).header_lines, 5u);
}

TEST(MimeGuard, OrdinaryMessagesAreNotRefused) {
  std::string m = "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n";
  for (int i = 0; i < 400; ++i) m += "--b1\r\nContent-Type: text/plain\r\n\r\n-- \r\nx: y\r\n";
  m += "--b1--\r\n";
  EXPECT_EQ(mime_parse_refusal(m, 500, 10000), "");
  EXPECT_FALSE(scan_attachments(m, test::attachment_limits()).limit_hit);
}

// Found by fuzz_mime_guard's 10-minute run: GMime skips bare CRs inside a header field, so
// "bound\r\rary=" declared a boundary the literal reading missed, and GMime built more parts
// than the bound. A bare CR now makes every "--" line count, with bare CRs as line breaks.
TEST(MimeGuard, BareCarriageReturnsMakeEveryDashLineCount) {
  std::string m = "Content-Type: multipart/mixed; bound\r\rary=b\r\n\r\n";
  for (int i = 0; i < 5; ++i) m += "--b\r\nContent-Type: text/plain\r\n\r\nx\r--b\r\n";
  const MimeShape shape = mime_shape(m);
  EXPECT_FALSE(shape.literal_boundaries);
  EXPECT_EQ(shape.delimiter_lines, 10u);
  EXPECT_EQ(shape.content_type_lines, 6u);
}

}  // namespace
}  // namespace pw::scan
