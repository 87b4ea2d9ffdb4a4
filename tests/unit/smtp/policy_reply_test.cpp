// Proves that every reply built from a policy verdict stays within RFC 5321's 512 octets per
// line, however long the check's text (lock reasons with many ids, file names, addresses), keeps
// the quarantine id, and stays printable.
#include "smtp/policy_reply.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pw::smtp {
namespace {

std::vector<std::string> wire_lines(const Reply& reply) {
  std::vector<std::string> out;
  std::string wire = reply.render();
  size_t pos = 0;
  while (pos < wire.size()) {
    size_t end = wire.find("\r\n", pos);
    EXPECT_NE(end, std::string::npos) << "a line without CRLF";
    if (end == std::string::npos) break;
    out.push_back(wire.substr(pos, end + 2 - pos));
    pos = end + 2;
  }
  return out;
}

void expect_bounded(const Reply& reply) {
  auto lines = wire_lines(reply);
  ASSERT_FALSE(lines.empty());
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_LE(lines[i].size(), kMaxReplyLine) << lines[i];
    EXPECT_EQ(lines[i].substr(0, 3), std::to_string(reply.code));
    EXPECT_EQ(lines[i][3], i + 1 < lines.size() ? '-' : ' ') << lines[i];
  }
}

policy::Verdict verdict(int code, std::string enhanced, std::string text) {
  policy::Verdict v;
  v.action = policy::Action::kReject;
  v.check = "locked";
  v.response = {code, std::move(enhanced), std::move(text)};
  return v;
}

std::string ids(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += (i ? ", " : "") + fmt::format("{:013X}{:06X}", 1000000 + i, i);
  return out;
}

TEST(PolicyReply, EveryLineOfALongLockReplyFitsIn512Octets) {
  const std::string reply =
      "Sending as user alice@example.com is locked since 2026-11-26 10:00:00 UTC until "
      "2026-11-26 11:00:00 UTC (21 spam messages in 10 minutes (more than 20), found by the spam "
      "check; quarantine ids " +
      ids(50) + "); contact abuse@example.com";
  Reply r = policy_reply(verdict(550, "5.7.1", reply));
  EXPECT_EQ(r.code, 550);
  EXPECT_EQ(r.enhanced, "5.7.1");
  expect_bounded(r);
  auto lines = wire_lines(r);
  EXPECT_GT(lines.size(), 1u);
  // Nothing is lost: the lines joined give the text back.
  std::string joined;
  for (const auto& line : lines)
    joined += (joined.empty() ? "" : " ") + line.substr(10, line.size() - 12);
  EXPECT_EQ(joined, reply);
}

TEST(PolicyReply, AWordLongerThanALineIsCutNotOverlong) {
  Reply r =
      policy_reply(verdict(550, "5.7.1", "Attachment " + std::string(1500, 'x') + ".exe refused"));
  expect_bounded(r);
}

TEST(PolicyReply, TheQuarantineIdSurvivesATextOverTheBound) {
  Reply r = policy_reply(verdict(550, "5.7.1", "Virus found: " + std::string(5000, 'v')),
                         " (quarantine id 0192ABCDEF012000001)");
  expect_bounded(r);
  EXPECT_LE(r.lines.front().size(), kMaxPolicyReplyText);
  EXPECT_TRUE(r.lines.front().ends_with("... (quarantine id 0192ABCDEF012000001)"));
}

TEST(PolicyReply, ShortRepliesStayOneLine) {
  Reply r = policy_reply(verdict(550, "5.7.1", "Message blocked as spam and held in quarantine"),
                         " (quarantine id X1)");
  EXPECT_EQ(r.render(),
            "550 5.7.1 Message blocked as spam and held in quarantine (quarantine id X1)\r\n");
}

TEST(PolicyReply, ClientBytesBecomePrintable) {
  Reply r = policy_reply(verdict(550, "5.7.1", "Attachment a\r\nb\x01\xff.exe refused"));
  EXPECT_EQ(r.render(), "550 5.7.1 Attachment a??b??.exe refused\r\n");
}

TEST(PolicyReply, AVerdictWithoutAReplyGetsAGenericOne) {
  policy::Verdict v;
  v.action = policy::Action::kTempfail;
  EXPECT_EQ(policy_reply(v).render(),
            "451 4.7.1 Temporarily refused by policy; try again later\r\n");
  v.action = policy::Action::kReject;
  v.response = {250, "2.0.0", "a success code is no refusal"};
  EXPECT_EQ(policy_reply(v).render(), "550 5.7.1 Refused by policy\r\n");
}

TEST(PolicyReply, OnlyAWellFormedEnhancedCodeIsTakenAsOne) {
  EXPECT_EQ(policy_reply(verdict(452, "4.5.3", "Too many")).enhanced, "4.5.3");
  Reply r = policy_reply(verdict(550, "5.x.1", "odd"));
  EXPECT_EQ(r.enhanced, "");
  EXPECT_EQ(r.lines.front(), "odd");
  EXPECT_EQ(policy_reply(verdict(550, "4.7.1", "class differs")).enhanced, "");
  expect_bounded(policy_reply(verdict(550, "5.7.1", std::string(3000, '1'))));
}

// The verdict carries its parts: the text is sent as the check wrote it, even when it starts
// with something that looks like a code (nothing re-parses a reply string).
TEST(PolicyReply, TheTextIsNotParsedForACode) {
  Reply r = policy_reply(verdict(552, "5.3.4", "451 4.7.1 looks like a code"));
  EXPECT_EQ(r.render(), "552 5.3.4 451 4.7.1 looks like a code\r\n");
}

}  // namespace
}  // namespace pw::smtp
