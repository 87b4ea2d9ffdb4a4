// Builds RFC 3464 delivery status notifications.
// Trust: recipient addresses and diagnostics come from remote servers and clients; they are
// made single-line and printable before they go into header-like fields.
#include "queue/dsn.hpp"

#include <fmt/format.h>

#include "util/utc_time.hpp"

namespace pw::queue {
namespace {

std::string one_line(std::string_view text) {
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    out.push_back((u < 32 || u == 127) ? ' ' : c);
  }
  return out;
}

// Body lines of the returned headers must not be longer than SMTP allows or end data early.
std::string crlf_normalised(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\r') continue;
    if (c == '\n') {
      out += "\r\n";
      continue;
    }
    out.push_back(c);
  }
  if (!out.empty() && !out.ends_with("\r\n")) out += "\r\n";
  return out;
}

}  // namespace

std::string build_dsn(const DsnRequest& r) {
  std::string out;
  out += fmt::format("From: Mail Delivery System <MAILER-DAEMON@{}>\r\n", r.reporting_mta);
  out += fmt::format("To: <{}>\r\n", one_line(r.original_sender));
  out += "Subject: Undelivered Mail Returned to Sender\r\n";
  out += fmt::format("Date: {}\r\n", util::rfc5322_date(r.now));
  out += fmt::format("Message-ID: <{}.dsn@{}>\r\n", r.original_id, r.reporting_mta);
  out += "Auto-Submitted: auto-replied\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += fmt::format(
      "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"{}\"\r\n",
      r.boundary);
  out += "\r\nThis is a MIME-encapsulated message.\r\n\r\n";

  out += fmt::format("--{}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n", r.boundary);
  out += fmt::format(
      "This is the mail system at host {}.\r\n\r\n"
      "Your message could not be delivered to one or more recipients.\r\n"
      "It is attached below (headers only).\r\n\r\n",
      r.reporting_mta);
  for (const auto& rcpt : r.recipients)
    out += fmt::format("<{}>: {}\r\n", one_line(rcpt.address), one_line(rcpt.diagnostic));
  out += "\r\n";

  out += fmt::format("--{}\r\nContent-Type: message/delivery-status\r\n\r\n", r.boundary);
  out += fmt::format("Reporting-MTA: dns; {}\r\n", r.reporting_mta);
  out += fmt::format("X-Postwarden-Queue-ID: {}\r\n", r.original_id);
  out += fmt::format("Arrival-Date: {}\r\n", util::rfc5322_date(r.arrival_date));
  for (const auto& rcpt : r.recipients) {
    out += "\r\n";
    out += fmt::format("Final-Recipient: rfc822; {}\r\n", one_line(rcpt.address));
    out += "Action: failed\r\n";
    out += fmt::format("Status: {}\r\n", rcpt.status);
    if (!rcpt.remote_mta.empty())
      out += fmt::format("Remote-MTA: dns; {}\r\n", one_line(rcpt.remote_mta));
    out += fmt::format("Diagnostic-Code: {}\r\n", one_line(rcpt.diagnostic));
    if (rcpt.last_attempt > 0)
      out += fmt::format("Last-Attempt-Date: {}\r\n", util::rfc5322_date(rcpt.last_attempt));
  }
  out += "\r\n";

  out += fmt::format("--{}\r\nContent-Type: text/rfc822-headers\r\n\r\n", r.boundary);
  out += crlf_normalised(r.original_headers);
  out += fmt::format("\r\n--{}--\r\n", r.boundary);
  return out;
}

}  // namespace pw::queue
