// F-BATV, the bounce listener (SessionMode::kInbound): only null-sender mail to addresses whose
// prvs= tag this node made and that has not expired; each recipient is rewritten to its
// original address, and the bounce is spooled before 250.
// Part of the Session class of smtp/session.hpp (one file per phase, issue 16 item 4).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <ctime>

#include "batv/batv_snapshot.hpp"
#include "mail/address.hpp"
#include "mail/header_summary.hpp"
#include "mail/name_syntax.hpp"
#include "obs/metrics.hpp"
#include "queue/queue_manager.hpp"
#include "smtp/session.hpp"
#include "util/blocking.hpp"

namespace pw::smtp::detail {

namespace {

obs::Outcome batv_outcome(batv::VerifyStatus status) {
  switch (status) {
    case batv::VerifyStatus::kValid:
      return obs::Outcome::kBatvValid;
    case batv::VerifyStatus::kUntagged:
      return obs::Outcome::kBatvUntagged;
    case batv::VerifyStatus::kUnknownKey:
      return obs::Outcome::kBatvUnknownKey;
    case batv::VerifyStatus::kExpired:
      return obs::Outcome::kBatvExpired;
    case batv::VerifyStatus::kBadHash:
      return obs::Outcome::kBatvBadHash;
    case batv::VerifyStatus::kMalformed:
      break;
  }
  return obs::Outcome::kBatvMalformed;
}

}  // namespace

void Session::on_inbound_mail(const Command& command) {
  if (auto refusal = check_mail(command)) return send_error(*refusal);
  if (!command.path.empty()) {
    spdlog::info("event=batv_refused stage=mail reason=not_null_sender client={} from=<{}>",
                 client_ip_, printable(command.path));
    obs::metrics().count(obs::Outcome::kRelayNotNullSender);
    return send_error(Reply(550, "5.7.1", std::string(kInboundOnly)));
  }
  if (ctx_.queue && !ctx_.queue->accepting())
    return send(Reply(452, "4.3.1", "Insufficient system storage: the queue is full; try later"));
  in_transaction_ = true;
  mail_from_.clear();
  mail_params_ = command.mail;
  send(Reply(250, "2.1.0", "Ok"));
}

void Session::refuse_bounce(const std::string& rcpt, obs::Outcome outcome, std::string_view reason,
                            std::string text) {
  obs::metrics().count(outcome);
  spdlog::info("event=batv_refused stage=rcpt reason={} client={} to=<{}>", reason, client_ip_,
               printable(rcpt));
  send_error(Reply(550, "5.7.1", std::move(text)));
}

void Session::on_inbound_rcpt(const Command& command) {
  if (!in_transaction_) return send_error(Reply(503, "5.5.1", "Need MAIL command"));
  if (command.path.empty()) return send_error(Reply(501, "5.1.3", "Empty recipient address"));
  if (!mail_params_.smtputf8 && !is_ascii(command.path))
    return send_error(Reply(553, "5.6.7", "Non-ASCII address needs SMTPUTF8"));
  if (auto e = mailbox_syntax_error(command.path, mail_params_.smtputf8))
    return send_error(Reply(553, "5.1.3", "Bad recipient address syntax: " + *e));
  if (recipients_.size() >= static_cast<size_t>(limits_.max_recipients))
    return send_error(Reply(452, "4.5.3", "Too many recipients"));
  const std::string& rcpt = command.path;
  auto snapshot = ctx_.batv.load();
  const std::string domain = mail::domain_of(rcpt);
  if (!snapshot || !snapshot->node_domains.count(domain))
    return refuse_bounce(rcpt, obs::Outcome::kRelayNotOurDomain, "relay", "Relay not permitted!");
  if (!snapshot->enabled_for(domain))
    return refuse_bounce(rcpt, obs::Outcome::kBatvOff, "batv_off",
                         "Bounce to an address this gateway did not tag: " + domain +
                             " does not tag its envelope senders");
  auto verification = snapshot->verify(rcpt, std::time(nullptr));
  using batv::VerifyStatus;
  if (verification.status == VerifyStatus::kUntagged)
    return refuse_bounce(rcpt, obs::Outcome::kBatvUntagged, "untagged",
                         "Bounce to an address this gateway did not tag (no prvs= tag); "
                         "refused as backscatter");
  if (verification.status != VerifyStatus::kValid) {
    std::string_view why =
        verification.status == VerifyStatus::kExpired      ? "the tag has expired"
        : verification.status == VerifyStatus::kBadHash    ? "the tag's hash does not match"
        : verification.status == VerifyStatus::kUnknownKey ? "the tag names an unknown key"
                                                           : "the tag is malformed";
    return refuse_bounce(rcpt, batv_outcome(verification.status),
                         batv::to_string(verification.status),
                         fmt::format("Bounce address tag not valid: {} ({})", why,
                                     batv::to_string(verification.status)));
  }
  obs::metrics().count(obs::Outcome::kBatvValid);
  spdlog::info("event=batv_valid client={} to=<{}> original=<{}> key={} days_left={}", client_ip_,
               printable(rcpt), printable(verification.original), verification.key,
               verification.days_left);
  recipients_.push_back(verification.original);
  send(Reply(250, "2.1.5", "Ok"));
}

// The bounce is spooled (synced) before 250, then queued for the original addresses' routes.
awaitable<Flow> Session::accept_bounce(const mail::MessageContent& message) {
  mail::Envelope envelope = new_envelope();
  envelope.sender_kind = mail::Origin::kInbound;
  envelope.sender = client_ip_;
  envelope.domain = mail::domain_of(recipients_.front());
  envelope.mail_from = "";
  std::string trace = received_header(envelope.id);
  envelope.size = trace.size() + message.size();
  auto* spool = ctx_.spool.get();
  auto stored = co_await util::run_blocking(*ctx_.blocking, [spool, &envelope, &trace, &message] {
    return spool->store(envelope, {trace, message.memory}, message.rest);
  });
  if (!stored) {
    spdlog::error("event=spool_error id={} client={} error=\"{}\"", envelope.id, client_ip_,
                  stored.error().message);
    obs::metrics().count(obs::Outcome::kSpoolWrite);
    send(Reply(451, "4.3.0", "Temporary failure writing the message; try again later"));
    co_return Flow::kContinue;
  }
  ++messages_;
  auto summary = mail::summarize_headers(message.memory);
  if (ctx_.queue) ctx_.queue->submit(envelope, summary.message_id, summary.subject);
  spdlog::info("event=batv_bounce_accepted id={} client={} rcpts={} size={} tls={}", envelope.id,
               client_ip_, recipients_.size(), envelope.size, tls_ ? "yes" : "no");
  send(Reply(250, "2.0.0", "Ok: queued as " + envelope.id));
  co_return Flow::kContinue;
}

}  // namespace pw::smtp::detail
