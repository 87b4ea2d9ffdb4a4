// Spools and queues a message the gateway wrote itself.
#include "queue/mail_injector.hpp"

#include "mail/header_summary.hpp"
#include "store/statement.hpp"

namespace pw::queue {

Result<std::string> MailInjector::send(const GeneratedMail& mail) {
  if (mail.rcpt_to.empty()) return fail("generated mail without a recipient");
  Envelope envelope;
  envelope.id = spool_.new_id();
  envelope.received_at = store::unix_now();
  envelope.client_ip = mail.client_ip;
  envelope.helo = hostname_;
  envelope.sender_kind = mail.kind;
  envelope.sender = mail.sender;
  envelope.domain = mail.domain;
  envelope.mail_from = mail.mail_from;
  envelope.rcpt_to = mail.rcpt_to;
  envelope.size = mail.message.size();
  envelope.body = mail::BodyType::k8BitMime;
  if (auto stored = spool_.store(envelope, {mail.message}); !stored)
    return tl::unexpected(stored.error());
  auto summary = mail::summarize_headers(mail.message);
  queue_.submit(envelope, summary.message_id, summary.subject);
  return envelope.id;
}

}  // namespace pw::queue
