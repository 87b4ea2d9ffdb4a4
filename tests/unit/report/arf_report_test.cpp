// Proves the abuse report (RFC 5965): a multipart/report with the three parts in order, every
// required feedback field, CRLF line ends only, the original attached whole or as headers only,
// and no header or part injected by client-controlled text.
#include "report/arf_report.hpp"

#include <gtest/gtest.h>

#include <map>

namespace pw::report {
namespace {

constexpr std::string_view kOriginal =
    "From: alice@example.com\r\nTo: bob@example.net\r\nSubject: cheap pills\r\n"
    "Message-ID: <m1@example.com>\r\n\r\nbuy now\r\n";

ArfRequest request() {
  ArfRequest r;
  r.hostname = "mx.gateway.test";
  r.admin_contact = "abuse@example.com";
  r.envelope.id = "00000ABC";
  r.envelope.received_at = 1700000000;
  r.envelope.client_ip = "192.0.2.7";
  r.envelope.sender_kind = mail::Origin::kUser;
  r.envelope.sender = "alice@example.com";
  r.envelope.domain = "example.com";
  r.envelope.mail_from = "alice@example.com";
  r.envelope.rcpt_to = {"bob@example.net", "carol@example.org"};
  r.identity = "alice@example.com";
  r.verdict.action = policy::Action::kQuarantine;
  r.verdict.check = "spam";
  r.verdict.reasons = {{"PILLS", "pharmacy words", 4.5}};
  r.verdict.score = 4.5;
  r.quarantine_id = "00000ABC";
  r.release_command = "postwarden quarantine release 00000ABC";
  r.original = kOriginal;
  r.max_attached_size = 1 << 20;
  r.now = 1700000100;
  r.version = "1.2.3";
  return r;
}

struct Part {
  std::multimap<std::string, std::string> headers;
  std::string body;
};

// Header fields of a section: name (as written) -> value, unfolded.
std::multimap<std::string, std::string> parse_headers(std::string_view section) {
  std::multimap<std::string, std::string> out;
  std::string name, value;
  auto flush = [&] {
    if (!name.empty()) out.emplace(name, value);
    name.clear();
    value.clear();
  };
  size_t pos = 0;
  while (pos < section.size()) {
    size_t end = section.find("\r\n", pos);
    if (end == std::string_view::npos) end = section.size();
    std::string_view line = section.substr(pos, end - pos);
    pos = end + 2;
    if (line.empty()) continue;
    if (line[0] == ' ' || line[0] == '\t') {
      value += " " + std::string(line.substr(1));
      continue;
    }
    flush();
    size_t colon = line.find(':');
    EXPECT_NE(colon, std::string_view::npos) << "not a header field: " << line;
    if (colon == std::string_view::npos) continue;
    name = std::string(line.substr(0, colon));
    value = std::string(line.substr(colon + 1));
    if (value.starts_with(" ")) value.erase(0, 1);
  }
  flush();
  return out;
}

Part split_part(std::string_view text) {
  size_t end = text.find("\r\n\r\n");
  EXPECT_NE(end, std::string_view::npos);
  return {parse_headers(text.substr(0, end + 2)), std::string(text.substr(end + 4))};
}

std::string boundary_of(const std::string& content_type) {
  size_t at = content_type.find("boundary=\"");
  EXPECT_NE(at, std::string::npos) << content_type;
  at += 10;
  return content_type.substr(at, content_type.find('"', at) - at);
}

struct Report {
  Part top;
  std::vector<Part> parts;
  std::string boundary;
};

Report parse_report(const std::string& text) {
  Report report;
  report.top = split_part(text);
  EXPECT_EQ(report.top.headers.count("Content-Type"), 1u);
  report.boundary = boundary_of(report.top.headers.find("Content-Type")->second);
  std::string_view body = report.top.body;
  std::string delimiter = "--" + report.boundary;
  size_t first = body.find(delimiter + "\r\n");
  EXPECT_NE(first, std::string_view::npos);
  size_t close = body.find("\r\n" + delimiter + "--\r\n");
  EXPECT_NE(close, std::string_view::npos);
  EXPECT_TRUE(body.ends_with("\r\n" + delimiter + "--\r\n")) << "text after the close delimiter";
  std::string_view inner = body.substr(first, close - first);
  size_t pos = 0;
  while (pos < inner.size()) {
    pos += delimiter.size() + 2;
    size_t next = inner.find("\r\n" + delimiter + "\r\n", pos);
    std::string_view part =
        inner.substr(pos, next == std::string_view::npos ? inner.size() - pos : next - pos);
    report.parts.push_back(split_part(part));
    if (next == std::string_view::npos) break;
    pos = next + 2;
  }
  return report;
}

std::string one(const std::multimap<std::string, std::string>& headers, const std::string& name) {
  EXPECT_EQ(headers.count(name), 1u) << name;
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

bool only_crlf_line_ends(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) return false;
    if (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')) return false;
  }
  return true;
}

TEST(ArfReport, HasTheTopLevelHeadersOfAFeedbackReport) {
  std::string text = build_arf_report(request());
  auto report = parse_report(text);
  const auto& h = report.top.headers;
  EXPECT_EQ(one(h, "From"), "<postmaster@mx.gateway.test>");
  EXPECT_EQ(one(h, "To"), "<abuse@example.com>");
  EXPECT_EQ(one(h, "Subject"), "Abuse report: outgoing message blocked for alice@example.com");
  EXPECT_EQ(one(h, "Date"), "Tue, 14 Nov 2023 22:15:00 +0000");
  EXPECT_EQ(one(h, "Message-ID"), "<00000ABC.arf@mx.gateway.test>");
  EXPECT_EQ(one(h, "MIME-Version"), "1.0");
  auto content_type = one(h, "Content-Type");
  EXPECT_TRUE(content_type.starts_with("multipart/report; report-type=feedback-report;"))
      << content_type;

  auto custom = request();
  custom.reporter = "reports@cluster.test";
  auto custom_report = parse_report(build_arf_report(custom));
  EXPECT_EQ(one(custom_report.top.headers, "From"), "<reports@cluster.test>");
}

TEST(ArfReport, HasTheThreePartsWithEveryRequiredField) {
  std::string text = build_arf_report(request());
  EXPECT_TRUE(only_crlf_line_ends(text));
  auto report = parse_report(text);
  ASSERT_EQ(report.parts.size(), 3u);

  const auto& human = report.parts[0];
  EXPECT_TRUE(one(human.headers, "Content-Type").starts_with("text/plain"));
  for (const char* expected :
       {"alice@example.com", "example.com", "192.0.2.7", "spam", "PILLS: pharmacy words",
        "00000ABC", "postwarden quarantine release 00000ABC", "Tue, 14 Nov 2023 22:13:20 +0000"})
    EXPECT_NE(human.body.find(expected), std::string::npos) << expected;

  const auto& feedback = report.parts[1];
  EXPECT_EQ(one(feedback.headers, "Content-Type"), "message/feedback-report");
  auto fields = parse_headers(feedback.body);
  EXPECT_EQ(one(fields, "Feedback-Type"), "abuse");
  EXPECT_EQ(one(fields, "User-Agent"), "postwarden/1.2.3");
  EXPECT_EQ(one(fields, "Version"), "1");
  EXPECT_EQ(one(fields, "Source-IP"), "192.0.2.7");
  EXPECT_EQ(one(fields, "Arrival-Date"), "Tue, 14 Nov 2023 22:13:20 +0000");
  EXPECT_EQ(one(fields, "Original-Mail-From"), "<alice@example.com>");
  EXPECT_EQ(one(fields, "Reported-Domain"), "example.com");
  EXPECT_EQ(one(fields, "X-Postwarden-User"), "alice@example.com");
  EXPECT_EQ(one(fields, "X-Postwarden-Identity"), "alice@example.com");
  EXPECT_EQ(one(fields, "X-Postwarden-Check"), "spam");
  std::vector<std::string> rcpts;
  for (auto [it, end] = fields.equal_range("Original-Rcpt-To"); it != end; ++it)
    rcpts.push_back(it->second);
  EXPECT_EQ(rcpts, (std::vector<std::string>{"<bob@example.net>", "<carol@example.org>"}));

  const auto& original = report.parts[2];
  EXPECT_EQ(one(original.headers, "Content-Type"), "message/rfc822");
  EXPECT_EQ(original.body, kOriginal);
}

TEST(ArfReport, AttachesOnlyTheHeadersOfALargeMessage) {
  auto r = request();
  r.max_attached_size = 10;
  auto report = parse_report(build_arf_report(r));
  ASSERT_EQ(report.parts.size(), 3u);
  EXPECT_EQ(one(report.parts[2].headers, "Content-Type"), "text/rfc822-headers");
  EXPECT_EQ(report.parts[2].body.find("buy now"), std::string::npos);
  EXPECT_NE(report.parts[2].body.find("Subject: cheap pills\r\n"), std::string::npos);
}

TEST(ArfReport, NeutralisesHeaderInjectionFromClientText) {
  auto r = request();
  r.envelope.sender = "mallory@example.com\r\nBcc: victim@example.net";
  r.identity = "x\nX-Injected: 1";
  r.envelope.mail_from = "a@b>\r\nX-Injected: 2";
  r.envelope.rcpt_to = {"c@d\rX-Injected: 3"};
  r.envelope.client_ip = "192.0.2.7\r\n\r\n--boundary";
  r.verdict.check = "spam\r\nX-Injected: 4";
  r.verdict.reasons = {{"R\r\n", "text\r\n\r\nX-Injected: 5", 1}};
  r.admin_contact = "abuse@example.com>\r\nBcc: <evil@example.net";
  std::string text = build_arf_report(r);
  EXPECT_TRUE(only_crlf_line_ends(text));
  auto report = parse_report(text);
  EXPECT_EQ(report.top.headers.count("Bcc"), 0u);
  EXPECT_EQ(report.top.headers.count("X-Injected"), 0u);
  ASSERT_EQ(report.parts.size(), 3u);
  auto fields = parse_headers(report.parts[1].body);
  EXPECT_EQ(fields.count("X-Injected"), 0u);
  EXPECT_EQ(fields.count("Bcc"), 0u);
  EXPECT_EQ(one(fields, "Feedback-Type"), "abuse");
  // Injected text stays inside one line of the human part: no line starts with it.
  EXPECT_EQ(report.parts[0].body.find("\r\nX-Injected"), std::string::npos);
  EXPECT_EQ(report.parts[0].body.find("\r\nBcc"), std::string::npos);
  EXPECT_EQ(report.parts[2].body, kOriginal);
}

TEST(ArfReport, BoundaryNeverOccursInTheAttachedMessage) {
  auto r = request();
  r.boundary = "fixed-boundary";
  std::string original =
      "Subject: x\r\n\r\n--fixed-boundary\r\nContent-Type: text/plain\r\n\r\nsmuggled\r\n"
      "--fixed-boundary--\r\n";
  r.original = original;
  auto report = parse_report(build_arf_report(r));
  EXPECT_NE(report.boundary, "fixed-boundary");
  ASSERT_EQ(report.parts.size(), 3u);
  EXPECT_EQ(report.parts[2].body, original);
}

TEST(ArfReport, BareLineEndsInTheOriginalBecomeCrlf) {
  auto r = request();
  std::string original = "Subject: x\nFrom: a@b\r\n\nbody\rmore";
  r.original = original;
  std::string text = build_arf_report(r);
  EXPECT_TRUE(only_crlf_line_ends(text));
  auto report = parse_report(text);
  ASSERT_EQ(report.parts.size(), 3u);
  EXPECT_EQ(report.parts[2].body, "Subject: x\r\nFrom: a@b\r\n\r\nbody\r\nmore\r\n");
}

TEST(ArfReport, EightBitOriginalIsDeclared) {
  auto r = request();
  std::string original = "Subject: caf\xc3\xa9\r\n\r\nna\xc3\xafve\r\n";
  r.original = original;
  auto report = parse_report(build_arf_report(r));
  ASSERT_EQ(report.parts.size(), 3u);
  EXPECT_EQ(one(report.parts[2].headers, "Content-Transfer-Encoding"), "8bit");
  // Header fields and the human part stay 7-bit.
  for (size_t i = 0; i < 2; ++i)
    for (char c : report.parts[i].body) EXPECT_LT(static_cast<unsigned char>(c), 128);
}

}  // namespace
}  // namespace pw::report
