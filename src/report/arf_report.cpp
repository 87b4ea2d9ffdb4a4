// Builds RFC 5965 abuse reports: multipart/report with a human-readable part, a
// message/feedback-report part and the original message.
// Trust: the envelope, identity, verdict texts and message come from an SMTP client: header
// values are reduced to one printable ASCII line of bounded length, the attached message is
// re-terminated with CRLF, and the boundary is checked against everything it separates.
#include "report/arf_report.hpp"

#include <fmt/format.h>

#include "mail/header_summary.hpp"
#include "util/utc_time.hpp"

namespace pw::report {
namespace {

// Longest value put into a header field or report line (RFC 5322 2.1.1: 998 with the name).
constexpr size_t kMaxFieldValue = 900;
// Recipients named in the human-readable part; all of them are in Original-Rcpt-To.
constexpr size_t kMaxRecipientsInText = 10;

// One printable ASCII line: CR, LF and other controls become spaces, 8-bit bytes '?', so no
// field value can start a new field or end the header section.
std::string field_value(std::string_view text) {
  std::string out;
  out.reserve(std::min(text.size(), kMaxFieldValue));
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 32 || u == 127)
      out.push_back(' ');
    else if (u >= 128)
      out.push_back('?');
    else
      out.push_back(c);
    if (out.size() >= kMaxFieldValue) break;
  }
  return out;
}

// An address for angle brackets: also without the brackets themselves.
std::string address_value(std::string_view address) {
  std::string out = field_value(address);
  for (char& c : out)
    if (c == '<' || c == '>' || c == ' ') c = '_';
  return out;
}

std::string domain_of(std::string_view address) {
  size_t at = address.rfind('@');
  return at == std::string_view::npos ? std::string() : std::string(address.substr(at + 1));
}

// Every line ends with CRLF (a lone CR or LF becomes CRLF), and the text ends with one.
std::string crlf_normalised(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out.push_back(c);
    }
  }
  if (!out.empty() && !out.ends_with("\r\n")) out += "\r\n";
  return out;
}

bool has_8bit(std::string_view text) {
  for (char c : text)
    if (static_cast<unsigned char>(c) >= 128) return true;
  return false;
}

std::string unique_boundary(std::string base, std::string_view attached, std::string_view text) {
  base = field_value(base);
  for (char& c : base)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
  if (base.empty()) base = "pw-arf";
  std::string boundary = base;
  for (int n = 1; attached.find(boundary) != std::string_view::npos ||
                  text.find(boundary) != std::string_view::npos;
       ++n)
    boundary = fmt::format("{}.{}", base, n);
  return boundary;
}

std::string human_part(const ArfRequest& r, const std::string& reporter_host) {
  const auto& e = r.envelope;
  const auto& v = r.verdict;
  auto summary = mail::summarize_headers(r.original);
  std::string out;
  out += fmt::format("This is an abuse report from the mail gateway {}.\r\n\r\n",
                     field_value(reporter_host));
  out += fmt::format("An outgoing message of {} was blocked by the check \"{}\".\r\n\r\n",
                     field_value(e.sender), field_value(v.check));
  out += fmt::format("User:        {} ({})\r\n", field_value(e.sender),
                     field_value(std::string(mail::to_string(e.sender_kind))));
  out += fmt::format("Identity:    {}\r\n", field_value(r.identity));
  out += fmt::format("Domain:      {}\r\n", field_value(e.domain));
  out += fmt::format("Client IP:   {}\r\n", field_value(e.client_ip));
  if (e.auth_user) out += fmt::format("AUTH name:   {}\r\n", field_value(*e.auth_user));
  out += fmt::format("Time:        {}\r\n", util::rfc5322_date(e.received_at));
  out += fmt::format("Queue id:    {}\r\n", field_value(e.id));
  out += fmt::format("MAIL FROM:   <{}>\r\n", address_value(e.mail_from));
  std::string recipients;
  for (size_t i = 0; i < e.rcpt_to.size() && i < kMaxRecipientsInText; ++i)
    recipients += (i ? ", <" : "<") + address_value(e.rcpt_to[i]) + ">";
  if (e.rcpt_to.size() > kMaxRecipientsInText)
    recipients += fmt::format(" and {} more", e.rcpt_to.size() - kMaxRecipientsInText);
  out += fmt::format("RCPT TO:     {} recipient(s): {}\r\n", e.rcpt_to.size(), recipients);
  out += fmt::format("Subject:     {}\r\n", field_value(summary.subject));
  out += fmt::format("Message-ID:  {}\r\n", field_value(summary.message_id));
  out += fmt::format("Check:       {} (score {})\r\n", field_value(v.check), v.score);
  if (v.response.code != 0) out += fmt::format("Reply:       {}\r\n", field_value(v.reply()));
  out += "Reasons:\r\n";
  if (v.reasons.empty()) out += "  (none given)\r\n";
  for (const auto& reason : v.reasons)
    out += fmt::format("  - {}{}{} (score {})\r\n", field_value(reason.rule),
                       reason.text.empty() ? "" : ": ", field_value(reason.text), reason.score);
  out += "\r\n";
  if (!r.quarantine_id.empty()) {
    out += fmt::format("The message is held in the outgoing quarantine as {}.\r\n",
                       field_value(r.quarantine_id));
    if (!r.release_command.empty())
      out += fmt::format("To send it on to its recipients, run:\r\n\r\n  {}\r\n",
                         field_value(r.release_command));
  } else {
    out += "The message was not kept.\r\n";
  }
  return out;
}

std::string feedback_part(const ArfRequest& r) {
  const auto& e = r.envelope;
  std::string out;
  // RFC 5965 7.3: "virus" for a message that carries one (F-AV), "abuse" for the rest.
  out += r.verdict.check == "virus" ? "Feedback-Type: virus\r\n" : "Feedback-Type: abuse\r\n";
  out += fmt::format("User-Agent: postwarden/{}\r\n", field_value(r.version));
  out += "Version: 1\r\n";
  out += fmt::format("Reporting-MTA: dns; {}\r\n", field_value(r.hostname));
  out += fmt::format("Original-Envelope-Id: {}\r\n", field_value(e.id));
  if (!e.mail_from.empty())
    out += fmt::format("Original-Mail-From: <{}>\r\n", address_value(e.mail_from));
  out += fmt::format("Arrival-Date: {}\r\n", util::rfc5322_date(e.received_at));
  if (!e.client_ip.empty()) out += fmt::format("Source-IP: {}\r\n", field_value(e.client_ip));
  for (const auto& rcpt : e.rcpt_to)
    out += fmt::format("Original-Rcpt-To: <{}>\r\n", address_value(rcpt));
  std::string reported = domain_of(e.mail_from);
  if (reported.empty()) reported = e.domain;
  if (!reported.empty()) out += fmt::format("Reported-Domain: {}\r\n", field_value(reported));
  if (!e.sender.empty()) out += fmt::format("X-Postwarden-User: {}\r\n", field_value(e.sender));
  if (!r.identity.empty())
    out += fmt::format("X-Postwarden-Identity: {}\r\n", field_value(r.identity));
  out += fmt::format("X-Postwarden-Check: {}\r\n", field_value(r.verdict.check));
  if (!r.quarantine_id.empty())
    out += fmt::format("X-Postwarden-Quarantine-Id: {}\r\n", field_value(r.quarantine_id));
  return out;
}

}  // namespace

std::string build_arf_report(const ArfRequest& r) {
  const auto& e = r.envelope;
  // An infected message is never mailed on, not even to the administrator: its header section.
  const bool whole = r.original.size() <= r.max_attached_size && r.verdict.check != "virus";
  std::string attached = crlf_normalised(whole ? r.original : mail::header_section(r.original));
  std::string text = human_part(r, r.hostname);
  std::string feedback = feedback_part(r);
  std::string base_id = !r.quarantine_id.empty() ? r.quarantine_id : e.id;
  std::string boundary = unique_boundary(r.boundary.empty() ? "pw-arf-" + base_id : r.boundary,
                                         attached, text + feedback);
  std::string reporter = r.reporter.empty() ? "postmaster@" + r.hostname : r.reporter;
  std::string message_id =
      r.message_id.empty() ? "<" + base_id + ".arf@" + r.hostname + ">" : r.message_id;
  std::string user = e.sender.empty() ? e.client_ip : e.sender;

  std::string out;
  out += fmt::format("From: <{}>\r\n", address_value(reporter));
  out += fmt::format("To: <{}>\r\n", address_value(r.admin_contact));
  out +=
      fmt::format("Subject: Abuse report: outgoing message blocked for {}\r\n", field_value(user));
  out += fmt::format("Date: {}\r\n", util::rfc5322_date(r.now));
  out += fmt::format("Message-ID: {}\r\n", field_value(message_id));
  out += "Auto-Submitted: auto-generated\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += fmt::format(
      "Content-Type: multipart/report; report-type=feedback-report;\r\n\tboundary=\"{}\"\r\n",
      boundary);
  out += "\r\nThis is a MIME-encapsulated message.\r\n\r\n";

  out += fmt::format("--{}\r\n", boundary);
  out += "Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n";
  out += text;
  out += "\r\n";

  out += fmt::format("--{}\r\nContent-Type: message/feedback-report\r\n\r\n", boundary);
  out += feedback;
  out += "\r\n";

  out += fmt::format("--{}\r\n", boundary);
  out += whole ? "Content-Type: message/rfc822\r\n" : "Content-Type: text/rfc822-headers\r\n";
  if (has_8bit(attached)) out += "Content-Transfer-Encoding: 8bit\r\n";
  out += "Content-Disposition: inline\r\n\r\n";
  out += attached;
  out += fmt::format("\r\n--{}--\r\n", boundary);
  return out;
}

}  // namespace pw::report
