// Proves that Date and Message-ID are added only when the header section lacks them, at its end,
// and that nothing else of the message changes (RFC 6409 8.2, 8.3).
#include "smtp/submission_headers.hpp"

#include <gtest/gtest.h>

namespace pw::smtp {
namespace {

constexpr std::string_view kDate = "Thu, 26 Nov 2026 10:00:00 +0000";
constexpr std::string_view kId = "<0123456789ABC000001@mx.example>";

std::string completed(std::string_view message) {
  return add_submission_headers(message, missing_submission_headers(message), kDate, kId);
}

TEST(SubmissionHeaders, AddsBothAtTheEndOfTheHeaderSectionAndKeepsTheBody) {
  const std::string message = "From: a@example.com\r\nSubject: hi\r\n\r\nDate: in the body\r\n";
  auto missing = missing_submission_headers(message);
  EXPECT_TRUE(missing.date && missing.message_id);
  EXPECT_EQ(missing.names(), "Date,Message-ID");
  EXPECT_EQ(completed(message),
            "From: a@example.com\r\nSubject: hi\r\nDate: Thu, 26 Nov 2026 10:00:00 +0000\r\n"
            "Message-ID: <0123456789ABC000001@mx.example>\r\n\r\nDate: in the body\r\n");
}

TEST(SubmissionHeaders, LeavesAMessageWithBothUnchanged) {
  const std::string message =
      "date: Wed, 25 Nov 2026 09:00:00 +0100\r\nMESSAGE-ID: <x@y>\r\n\r\nbody\r\n";
  EXPECT_FALSE(missing_submission_headers(message).any());
  EXPECT_EQ(completed(message), message);
}

TEST(SubmissionHeaders, AddsOnlyTheMissingOne) {
  const std::string message = "Message-ID: <x@y>\r\n\r\nbody\r\n";
  auto missing = missing_submission_headers(message);
  EXPECT_TRUE(missing.date);
  EXPECT_FALSE(missing.message_id);
  EXPECT_EQ(missing.names(), "Date");
  EXPECT_EQ(completed(message),
            "Message-ID: <x@y>\r\nDate: " + std::string(kDate) + "\r\n\r\nbody\r\n");
}

TEST(SubmissionHeaders, ReadsFoldedLinesAndObsoleteSpaceBeforeTheColon) {
  // A continuation line that starts with "Date:" is part of Subject, not a Date field.
  const std::string folded = "Subject: a\r\n Date: no\r\nMessage-ID: <x@y>\r\n\r\n";
  EXPECT_TRUE(missing_submission_headers(folded).date);
  const std::string spaced =
      "Date : Wed, 25 Nov 2026 09:00:00 +0100\r\nMessage-ID\t: <x@y>\r\n\r\n";
  EXPECT_FALSE(missing_submission_headers(spaced).any());
}

TEST(SubmissionHeaders, IgnoresFieldsInTheBody) {
  const std::string message = "Subject: a\r\n\r\nDate: x\r\nMessage-ID: <x@y>\r\n";
  auto missing = missing_submission_headers(message);
  EXPECT_TRUE(missing.date && missing.message_id);
}

TEST(SubmissionHeaders, IgnoresLookAlikeNames) {
  const std::string message = "Resent-Date: x\r\nX-Message-ID: <x@y>\r\nDated: y\r\n\r\n";
  auto missing = missing_submission_headers(message);
  EXPECT_TRUE(missing.date && missing.message_id);
}

TEST(SubmissionHeaders, HandlesMessagesWithoutAHeaderOrABody) {
  // Empty header section: the fields go first and the body stays after the empty line.
  EXPECT_EQ(completed("\r\nbody\r\n"), "Date: " + std::string(kDate) + "\r\nMessage-ID: " +
                                           std::string(kId) + "\r\n\r\nbody\r\n");
  // No empty line: all header, the fields go at the end.
  EXPECT_EQ(completed("Subject: a\r\n"), "Subject: a\r\nDate: " + std::string(kDate) +
                                             "\r\nMessage-ID: " + std::string(kId) + "\r\n");
  // No final CRLF: the last field is ended first.
  EXPECT_EQ(completed("Subject: a"), "Subject: a\r\nDate: " + std::string(kDate) +
                                         "\r\nMessage-ID: " + std::string(kId) + "\r\n");
  EXPECT_EQ(completed(""),
            "Date: " + std::string(kDate) + "\r\nMessage-ID: " + std::string(kId) + "\r\n");
}

TEST(SubmissionHeaders, DecisionIsAPassNamingWhatWasAdded) {
  auto v = submission_headers_decision({true, true});
  EXPECT_TRUE(v.passed());
  EXPECT_FALSE(v.spam);
  EXPECT_EQ(v.check, "submission_headers");
  ASSERT_EQ(v.reasons.size(), 1u);
  EXPECT_EQ(v.reasons[0].rule, "submission_headers");
  EXPECT_EQ(v.reasons[0].text, "added Date, Message-ID (RFC 6409 8.2, 8.3)");
}

}  // namespace
}  // namespace pw::smtp
