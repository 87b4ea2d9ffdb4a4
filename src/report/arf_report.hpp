// Abuse reports in the Abuse Reporting Format (RFC 5965, F-ARF): what the domain's administrator
// receives for every outgoing message the gateway blocked, with the message (or its header
// section) attached and the sending user, identity and time.
// Trust: every envelope field, the identity, the verdict's texts and the message come from an
// SMTP client; they are made single-line and printable before they go into a header field.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mail/envelope.hpp"
#include "policy/verdict.hpp"

namespace pw::report {

struct ArfRequest {
  std::string hostname;         // our host name: Reporting-MTA, Message-ID, default reporter
  std::string reporter;         // From address; "" = postmaster@<hostname>
  std::string admin_contact;    // To: the domain's abuse contact, or the cluster default
  mail::Envelope envelope;      // the blocked transaction (sender, domain, client IP, MAIL, RCPT)
  std::string identity;         // the sender identity the policy judged
  policy::Verdict verdict;      // check, reasons, score
  std::string quarantine_id;    // "" when the message was not held
  std::string release_command;  // shown to the admin, e.g. "postwarden quarantine release ID"
  std::string_view original;    // the blocked message, CRLF
  // Larger originals are attached as text/rfc822-headers (header section only).
  size_t max_attached_size = 0;
  int64_t now = 0;                   // Date of the report (unix seconds)
  std::string message_id;            // "" = <quarantine id or envelope id>.arf@<hostname>
  std::string boundary;              // "" = derived from the envelope id; made unique if it occurs
  std::string version = PW_VERSION;  // User-Agent: postwarden/<version>
};

// The complete message (header and body, CRLF line ends only), ready for MailInjector::send
// with mail_from "" (the null sender) and rcpt_to {admin_contact}.
std::string build_arf_report(const ArfRequest& request);

}  // namespace pw::report
