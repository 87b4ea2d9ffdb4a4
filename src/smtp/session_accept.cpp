// Acceptance at the end of DATA: act on the verdict (refuse, hold, discard), complete the
// headers, sign, spool durably, archive, and hand the message to the queue. Nothing is
// acknowledged before it is on disk.
// Part of the Session class of smtp/session.hpp (one file per phase, issue 16 item 4).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <ctime>

#include "dkim/message_signer.hpp"
#include "mail/header_summary.hpp"
#include "obs/metrics.hpp"
#include "policy/data_inspection.hpp"
#include "policy/policy_service.hpp"
#include "queue/queue_manager.hpp"
#include "smtp/policy_reply.hpp"
#include "smtp/session.hpp"
#include "smtp/submission_headers.hpp"
#include "smtp/trace_hops.hpp"
#include "smtp/verdict_actions.hpp"
#include "util/blocking.hpp"
#include "util/utc_time.hpp"

namespace pw::smtp::detail {

// A blocking verdict at the end of DATA: refuse, or hold in quarantine and answer as the
// user's quarantine response says, or discard. Nothing is acknowledged before it is durable.
awaitable<Answer> Session::act_on_verdict(const policy::Verdict& verdict,
                                          const mail::Envelope& envelope, const std::string& trace,
                                          const mail::MessageContent& message) {
  if (verdict.action == policy::Action::kQuarantine) {
    auto* actions = ctx_.actions;
    const policy::Transaction* txn = &txn_;
    auto held = co_await util::run_blocking(
        *ctx_.blocking, [actions, txn, &envelope, &trace, &message, &verdict]() -> Result<void> {
          // A large message is read back whole here: the quarantine keeps one file per message.
          auto whole = message.read_all();
          if (!whole) return tl::unexpected(whole.error());
          return actions->quarantine(*txn, envelope, trace + *whole, verdict);
        });
    if (!held) {
      obs::metrics().count(obs::Outcome::kSpoolHold);
      spdlog::error("event=quarantine_error id={} error=\"{}\"", envelope.id, held.error().message);
      co_return Answer{
          Reply(451, "4.3.0", "Temporary failure holding the message; try again later")};
    }
    if (verdict.spam) co_await count_spam(verdict, envelope.id, policy::SpamOutcome::kHeld);
    ++messages_;
    obs::metrics().count(obs::Outcome::kMessageQuarantined);
    if (txn_.settings->quarantine_response == "accepted")
      co_return Answer{Reply(250, "2.0.0", "Ok: queued as " + envelope.id)};
    co_return Answer{policy_reply(verdict, " (quarantine id " + envelope.id + ")")};
  }
  if (verdict.spam)
    co_await count_spam(verdict, envelope.id,
                        verdict.action == policy::Action::kDiscard ? policy::SpamOutcome::kDiscarded
                                                                   : policy::SpamOutcome::kRefused);
  if (verdict.action == policy::Action::kDiscard) {
    spdlog::info("event=discarded id={} check={}", envelope.id, verdict.check);
    obs::metrics().count(obs::Outcome::kMessageDiscarded);
    co_return Answer{Reply(250, "2.0.0", "Ok: queued as " + envelope.id)};
  }
  obs::metrics().count(obs::Outcome::kMessageRejected);
  co_return Answer{policy_reply(verdict), true};
}

// F-DKIM-SEL: the user's selector, else the domain's; nullopt = not signed.
std::optional<dkim::SigningChoice> Session::signing_choice() const {
  if (!ctx_.dkim_keys || !ctx_.dkim_options || !ctx_.policy || !transaction_sender_ ||
      !txn_.settings)
    return std::nullopt;
  return dkim::choose_signing(
      transaction_sender_->domain, txn_.settings->dkim_selector,
      txn_.domain ? std::string_view(txn_.domain->dkim_selector) : std::string_view());
}

// The envelope of the message just read: what every accepted message records of its session
// and transaction (the caller adds who sent it).
mail::Envelope Session::new_envelope() {
  mail::Envelope envelope;
  envelope.id = ctx_.spool->new_id();
  envelope.received_at = std::time(nullptr);
  envelope.client_ip = client_ip_;
  envelope.helo = helo_;
  envelope.tls = tls_;
  envelope.rcpt_to = recipients_;
  envelope.body = mail_params_.body;
  envelope.smtputf8 = mail_params_.smtputf8;
  return envelope;
}

// F-IDENT: the identity from the header rules; the headers they name are removed.
void Session::read_header_identity(const std::string& id, std::string_view& head,
                                   std::string& edited) {
  if (identity_method_.kind != policy::IdentityKind::kHeader) return;
  auto found = policy::extract_identity(identity_method_, identity_input(head));
  if (found.usable)
    txn_.identity = found.identity;
  else
    spdlog::info("event=identity_fallback id={} sender={} reason=\"{}\"", id,
                 printable(txn_.sender.name), printable(found.fallback_reason));
  if (!found.headers_to_remove.empty()) {
    edited = policy::remove_headers(head, found.headers_to_remove);
    head = edited;
  }
}

// RFC 6409 8.2, 8.3: Date and Message-ID for a message whose header section lacks them.
SubmissionHeaders Session::complete_headers(const mail::Envelope& envelope, std::string_view& head,
                                            std::string& edited) {
  const SubmissionHeaders missing = missing_submission_headers(head);
  if (!missing.any()) return missing;
  // Built before `edited` is replaced: `head` may point at it.
  std::string completed =
      add_submission_headers(head, missing, util::rfc5322_date(envelope.received_at),
                             mail::generated_message_id(envelope.id, ctx_.hostname));
  edited = std::move(completed);
  head = edited;
  spdlog::info("event=headers_added id={} sender={} added=\"{}\"", envelope.id,
               printable(envelope.sender), missing.names());
  return missing;
}

awaitable<Flow> Session::accept_message(const mail::MessageContent& data,
                                        const std::optional<dkim::SigningChoice>& signing,
                                        const dkim::BodyHasher::Digests& body_hashes) {
  mail::Envelope envelope = new_envelope();
  if (auth_sender_) envelope.auth_user = auth_user_;
  envelope.sender_kind = mail::origin_of(transaction_sender_->kind);
  envelope.sender = transaction_sender_->name;
  envelope.domain = transaction_sender_->domain;
  envelope.mail_from = mail_from_;
  const std::string trace = received_header(envelope.id);
  std::string_view head = data.memory;  // the header section when the body is in a file
  std::string edited;                   // the message without the identity headers to remove
  const bool policy_on = ctx_.policy && transaction_sender_ && txn_.settings;
  if (policy_on) read_header_identity(envelope.id, head, edited);
  // Before the scans (they judge the message as it leaves) and before DKIM signs its header.
  const SubmissionHeaders added = complete_headers(envelope, head, edited);
  const mail::MessageContent message{head, data.rest};
  policy::ChainResult result;
  if (policy_on) result = co_await judge_message(envelope, trace, message, added);
  envelope.size = trace.size() + message.size();
  if (policy_on && !result.verdict.passed()) {
    // Recorded once the answer is known: a quarantine may answer 250 or 451 (item 13).
    Answer answer = co_await act_on_verdict(result.verdict, envelope, trace, message);
    record_decisions(result, envelope.id, &answer.reply);
    if (answer.error)
      send_error(answer.reply);
    else
      send(answer.reply);
    co_return Flow::kContinue;
  }
  if (policy_on && result.verdict.spam)
    co_await count_spam(result.verdict, envelope.id, policy::SpamOutcome::kSent);
  const dkim::SigningChoice* choice = signing ? &*signing : nullptr;
  dkim::SignOutcome signed_as;
  if (!co_await sign_and_spool(envelope, trace, message, choice, body_hashes, signed_as)) {
    obs::metrics().count(obs::Outcome::kSpoolWrite);
    send(Reply(451, "4.3.0", "Temporary failure writing the message; try again later"));
    co_return Flow::kContinue;
  }
  obs::metrics().count(obs::Outcome::kMessageAccepted);
  if (policy_on) {
    ctx_.policy->count_accepted(txn_);
    if (txn_.settings->archive) co_await archive_accepted(envelope, trace, message);
  }
  ++messages_;
  auto summary = mail::summarize_headers(message.memory);
  if (ctx_.queue) ctx_.queue->submit(envelope, summary.message_id, summary.subject);
  log_accepted(envelope, choice, signed_as);
  send(Reply(250, "2.0.0", "Ok: queued as " + envelope.id));
  co_return Flow::kContinue;
}

awaitable<policy::ChainResult> Session::judge_message(mail::Envelope& envelope,
                                                      const std::string& trace,
                                                      const mail::MessageContent& message,
                                                      const SubmissionHeaders& added) {
  const auto scan_started = Clock::now();
  txn_.stage = policy::Stage::kData;
  txn_.now = envelope.received_at;
  txn_.recipients = recipients_;
  txn_.message = message.memory;
  txn_.size = trace.size() + message.size();
  const scan::ScanEnvelope scan_envelope{
      client_ip_, helo_, mail_from_, recipients_, auth_sender_ ? auth_user_ : std::string(),
      envelope.id};
  const policy::InspectionServices services{*ctx_.blocking, ctx_.config, ctx_.domain_resolves,
                                            ctx_.spam_classifier.load(), ctx_.outbreaks.get()};
  co_await policy::inspect_data(txn_, message, scan_envelope, services);
  policy::ChainResult result = ctx_.policy->evaluate(txn_);
  obs::metrics().observe_scan(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - scan_started).count()));
  ctx_.policy->count_ip_message(txn_, result.verdict.spam);  // F-IPREP history
  if (result.verdict.unsure && !result.verdict.spam) ctx_.policy->count_unsure(txn_);
  if (added.any())  // in the trail first: the checks saw the message with the fields
    result.decisions.insert(result.decisions.begin(), submission_headers_decision(added));
  if (result.verdict.passed()) record_decisions(result, envelope.id, nullptr);
  envelope.identity = txn_.identity;
  co_return result;
}

// F-DKIM: signed after the policy checks, before the spool; the spool's write and syncs are the
// group-commit thread's (issue 17 item 1). False when the spool could not store the message
// (logged).
awaitable<bool> Session::sign_and_spool(mail::Envelope& envelope, const std::string& trace,
                                        const mail::MessageContent& message,
                                        const dkim::SigningChoice* choice,
                                        const dkim::BodyHasher::Digests& body_hashes,
                                        dkim::SignOutcome& signed_as) {
  auto* spool = ctx_.spool.get();
  auto* keys = ctx_.dkim_keys.get();
  const dkim::SignerOptions* sign_options = ctx_.dkim_options.get();
  if (choice)  // CPU work (an RSA signature takes a millisecond): off the loop
    co_await util::run_blocking(*ctx_.blocking, [&envelope, &message, choice, keys, sign_options,
                                                 &body_hashes, &signed_as] {
      signed_as = dkim::sign_message(*keys, *sign_options, *choice, message.memory, body_hashes,
                                     envelope.received_at);
      envelope.size += signed_as.header.size();
    });
  // Written and made durable by the group-commit thread with the other messages finishing now.
  const Result<void> stored = co_await spool->store_grouped(
      envelope, {trace, signed_as.header, message.memory}, message.rest);
  if (choice && signed_as.status != dkim::SignOutcome::Status::kSigned)
    spdlog::warn("event=dkim_unsigned id={} sender={} domain={} selector={} reason={}{}{}",
                 envelope.id, printable(envelope.sender), choice->domain, choice->selector,
                 dkim::to_string(signed_as.status),
                 signed_as.error.empty() ? "" : " error=", printable(signed_as.error));
  if (!stored)
    spdlog::error("event=spool_error id={} client={} error=\"{}\"", envelope.id, client_ip_,
                  stored.error().message);
  co_return stored.has_value();
}

// F-ARCHIVE: a copy of what was accepted; a failure is logged, the message still goes out.
awaitable<void> Session::archive_accepted(const mail::Envelope& envelope, const std::string& trace,
                                          const mail::MessageContent& message) {
  auto* actions = ctx_.actions;
  auto archived = co_await util::run_blocking(
      *ctx_.blocking, [actions, &envelope, &trace, &message]() -> Result<void> {
        auto whole = message.read_all();  // the archive compresses one message at a time
        if (!whole) return tl::unexpected(whole.error());
        return actions->archive(envelope, trace + *whole);
      });
  if (!archived)
    spdlog::error("event=archive_failed id={} error=\"{}\"", envelope.id, archived.error().message);
}

void Session::log_accepted(const mail::Envelope& envelope, const dkim::SigningChoice* choice,
                           const dkim::SignOutcome& signed_as) const {
  spdlog::info(
      "event=accepted id={} client={} sender={} kind={} domain={} auth={} from=<{}> rcpts={} "
      "size={} tls={} dkim={}",
      envelope.id, client_ip_, printable(envelope.sender), mail::to_string(envelope.sender_kind),
      envelope.domain, auth_sender_ ? printable(auth_user_) : "-", printable(mail_from_),
      recipients_.size(), envelope.size, tls_ ? "yes" : "no",
      signed_as.status == dkim::SignOutcome::Status::kSigned
          ? fmt::format("{}/{}/{}", choice->domain, choice->selector,
                        dkim::to_string(signed_as.type))
          : "-");
}

}  // namespace pw::smtp::detail
