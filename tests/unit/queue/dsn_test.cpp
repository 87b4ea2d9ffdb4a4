// Proves the DSN's structure (RFC 3464) and the header summary used by the message log.
#include "queue/dsn.hpp"

#include <gtest/gtest.h>

#include "mail/header_summary.hpp"

namespace pw::queue {
namespace {

TEST(Dsn, IsAMultipartReportWithOneBlockPerRecipient) {
  DsnRequest r;
  r.reporting_mta = "gw.example";
  r.original_id = "ABC";
  r.arrival_date = 1700000000;
  r.original_sender = "alice@example.com";
  r.recipients = {
      {"x@one.test", "5.1.1", "smtp; 550 5.1.1 no such user", "mx.one.test", 1700000100},
      {"y@two.test", "4.4.7", "x-postwarden; expired", "", 0}};
  std::string headers = "Subject: hi\r\nFrom: alice@example.com\r\n";
  r.original_headers = headers;
  r.now = 1700000200;
  r.boundary = "b-1";
  std::string dsn = build_dsn(r);
  EXPECT_NE(dsn.find("Content-Type: multipart/report; report-type=delivery-status;"),
            std::string::npos);
  EXPECT_NE(dsn.find("Content-Type: message/delivery-status"), std::string::npos);
  EXPECT_NE(dsn.find("Final-Recipient: rfc822; x@one.test\r\nAction: failed\r\nStatus: 5.1.1"),
            std::string::npos);
  EXPECT_NE(dsn.find("Remote-MTA: dns; mx.one.test"), std::string::npos);
  EXPECT_NE(dsn.find("Status: 4.4.7"), std::string::npos);
  EXPECT_NE(dsn.find("Content-Type: text/rfc822-headers\r\n\r\nSubject: hi\r\n"),
            std::string::npos);
  EXPECT_NE(dsn.find("Auto-Submitted: auto-replied"), std::string::npos);
  EXPECT_TRUE(dsn.ends_with("--b-1--\r\n"));
  EXPECT_EQ(dsn.find("\n\n"), std::string::npos) << "bare LF line ends";
}

TEST(Dsn, DiagnosticsFromTheNetworkStayOnOneLine) {
  DsnRequest r;
  r.reporting_mta = "gw.example";
  r.original_sender = "a@example.com";
  r.recipients = {{"x@one.test", "5.0.0", "smtp; 550 evil\r\nBcc: victim@example.org", "", 0}};
  r.boundary = "b";
  std::string dsn = build_dsn(r);
  EXPECT_EQ(dsn.find("\r\nBcc:"), std::string::npos);
}

TEST(HeaderSummary, ReadsUnfoldedSubjectAndMessageId) {
  std::string message =
      "Received: from x\r\n\tby y\r\nSubject: a long\r\n subject\r\nMESSAGE-ID: <id@x>\r\n"
      "\r\nSubject: not a header\r\n";
  auto summary = mail::summarize_headers(message);
  EXPECT_EQ(summary.subject, "a long subject");
  EXPECT_EQ(summary.message_id, "<id@x>");
  EXPECT_EQ(mail::header_section(message).size(), message.find("\r\n\r\n") + 2);
}

TEST(HeaderSummary, BoundsAndCleansHostileValues) {
  std::string message = "Subject: " + std::string(5000, 'x') + "\x01\r\n\r\n";
  auto summary = mail::summarize_headers(message);
  EXPECT_LE(summary.subject.size(), 998u);
  EXPECT_TRUE(mail::summarize_headers("").subject.empty());
  EXPECT_TRUE(mail::summarize_headers("\r\nSubject: body only\r\n").subject.empty());
}

}  // namespace
}  // namespace pw::queue
