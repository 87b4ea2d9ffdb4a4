// Mail the gateway writes itself (abuse reports, lock notices, released quarantine messages):
// spooled exactly like accepted mail (durable first), then handed to the queue, so it is logged,
// retried and never lost like any other message.
#pragma once
#include <string>
#include <vector>

#include "queue/queue_manager.hpp"
#include "queue/spool.hpp"
#include "util/result.hpp"

namespace pw::queue {

struct GeneratedMail {
  std::string kind;       // envelope sender_kind: "arf", "lock", "release", ...
  std::string sender;     // who it is from, for the log ("postwarden" or the original user)
  std::string domain;     // the domain it is logged under
  std::string client_ip = "127.0.0.1";
  std::string mail_from;  // "" = the null sender
  std::vector<std::string> rcpt_to;
  std::string message;    // the whole message, CRLF line ends
};

class MailInjector {
 public:
  MailInjector(Spool& spool, QueueManager& queue, std::string hostname)
      : spool_(spool), queue_(queue), hostname_(std::move(hostname)) {}

  // Blocking (the spool syncs): call it on the blocking pool or from the CLI. Returns the queue
  // id of the new message.
  Result<std::string> send(const GeneratedMail& mail);

  const std::string& hostname() const { return hostname_; }
  Spool& spool() { return spool_; }

 private:
  Spool& spool_;
  QueueManager& queue_;
  std::string hostname_;
};

// A unique Message-ID for mail the gateway writes: "<id@hostname>".
std::string generated_message_id(const std::string& queue_id, const std::string& hostname);

}  // namespace pw::queue
