// Delivery status notifications (RFC 3464, RFC 3462 multipart/report): the message that tells a
// sender which recipients failed and why.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pw::queue {

struct FailedRecipient {
  std::string address;
  std::string status;      // RFC 3463 code, "5.1.1"
  std::string diagnostic;  // "smtp; 550 5.1.1 no such user" or our own reason
  std::string remote_mta;  // "mx.example.net", empty when none was reached
  int64_t last_attempt = 0;
};

struct DsnRequest {
  std::string reporting_mta;  // our host name
  std::string original_id;    // queue id of the failed message
  int64_t arrival_date = 0;
  std::string original_sender;  // the envelope sender the DSN goes to
  std::vector<FailedRecipient> recipients;
  std::string_view original_headers;  // returned as text/rfc822-headers
  int64_t now = 0;
  std::string boundary;  // unique per DSN
};

// The complete message (header and body, CRLF line ends), ready to spool.
std::string build_dsn(const DsnRequest& request);

}  // namespace pw::queue
