// Mail the gateway writes itself (lock notices, abuse reports, released quarantine messages) and
// the interface it is handed to. The queue implements it (queue/mail_injector: spooled like
// accepted mail, then queued); lower layers such as policy/ are handed an Outbox from above, so
// they never include the queue.
#pragma once
#include <string>
#include <vector>

#include "mail/origin.hpp"
#include "util/result.hpp"

namespace pw::mail {

struct GeneratedMail {
  Origin kind = Origin::kArf;  // the envelope's sender_kind: kArf, kLock, or a released message's
  std::string sender;          // who it is from, for the log ("postwarden" or the original user)
  std::string domain;          // the domain it is logged under
  std::string client_ip = "127.0.0.1";
  std::string mail_from;  // "" = the null sender
  std::vector<std::string> rcpt_to;
  std::string message;  // the whole message, CRLF line ends
};

class Outbox {
 public:
  virtual ~Outbox() = default;
  // Blocking (the spool syncs): call it on the blocking pool or from the CLI. Returns the queue
  // id of the new message.
  virtual Result<std::string> send(const GeneratedMail& mail) = 0;
  // A fresh queue id, for a Message-ID written before the message is sent.
  virtual std::string new_id() = 0;
  // The gateway's host name, for Message-IDs and From: addresses.
  virtual const std::string& hostname() const = 0;
};

// A unique Message-ID for mail the gateway writes: "<id@hostname>".
inline std::string generated_message_id(const std::string& queue_id, const std::string& hostname) {
  return "<" + queue_id + "@" + hostname + ">";
}

}  // namespace pw::mail
