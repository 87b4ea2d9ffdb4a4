// The few header fields the message log keeps (Message-ID, Subject), read from the raw message
// without a full MIME parse: unfolded, bounded, control characters removed.
// Trust: the message comes from an SMTP client.
#pragma once
#include <string>
#include <string_view>

namespace pw::mail {

struct HeaderSummary {
  std::string message_id;
  std::string subject;
};

// The header section: everything up to (not including) the first empty line.
std::string_view header_section(std::string_view message);
HeaderSummary summarize_headers(std::string_view message);

}  // namespace pw::mail
