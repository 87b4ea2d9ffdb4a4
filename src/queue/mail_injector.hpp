// Mail the gateway writes itself (abuse reports, lock notices, released quarantine messages):
// spooled exactly like accepted mail (durable first), then handed to the queue, so it is logged,
// retried and never lost like any other message.
#pragma once
#include <string>

#include "mail/outbox.hpp"
#include "queue/queue_manager.hpp"
#include "queue/spool.hpp"
#include "util/result.hpp"

namespace pw::queue {

using mail::generated_message_id;
using mail::GeneratedMail;

class MailInjector final : public mail::Outbox {
 public:
  MailInjector(Spool& spool, QueueManager& queue, std::string hostname)
      : spool_(spool), queue_(queue), hostname_(std::move(hostname)) {}

  // Blocking (the spool syncs): call it on the blocking pool or from the CLI. Returns the queue
  // id of the new message.
  Result<std::string> send(const GeneratedMail& mail) override;
  std::string new_id() override { return spool_.new_id(); }

  const std::string& hostname() const override { return hostname_; }
  Spool& spool() { return spool_; }

 private:
  Spool& spool_;
  QueueManager& queue_;
  std::string hostname_;
};

}  // namespace pw::queue
