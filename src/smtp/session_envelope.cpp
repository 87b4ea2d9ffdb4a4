// MAIL and RCPT on the submission listener: who the sender is, the policy transaction, and the
// checks of the MAIL and RCPT stages, with every decision recorded.
// Part of the Session class of smtp/session.hpp (one file per phase, issue 16 item 4).
#include <spdlog/spdlog.h>

#include <ctime>

#include "mail/address.hpp"
#include "mail/name_syntax.hpp"
#include "obs/metrics.hpp"
#include "policy/mail_inspection.hpp"
#include "policy/policy_service.hpp"
#include "queue/queue_manager.hpp"
#include "smtp/policy_reply.hpp"
#include "smtp/session.hpp"

namespace pw::smtp::detail {

awaitable<void> Session::on_mail(const Command& command) {
  if (inbound_) {  // F-BATV
    on_inbound_mail(command);
    co_return;
  }
  if (auto refusal = check_mail(command)) {
    send_error(*refusal);
    co_return;
  }
  const MailParams& params = command.mail;
  if (ctx_.queue && !ctx_.queue->accepting()) {
    send(Reply(452, "4.3.1", "Insufficient system storage: the queue is full; try later"));
    co_return;
  }
  std::optional<mail::Sender> sender;
  if (auth_sender_) {
    sender = auth_sender_;
  } else if (client_address_) {
    auto directory = ctx_.directory.load();
    if (directory) sender = directory->match_ip(*client_address_);
  }
  if (sender && ctx_.policy) {
    start_policy_transaction(*sender, command.path, params.size);
    co_await policy::inspect_mail(txn_, {ctx_.config, ctx_.domain_resolves, ctx_.ip_reputation});
    auto result = ctx_.policy->evaluate(txn_);
    if (!result.verdict.passed()) {
      const Reply refusal = policy_reply(result.verdict);
      record_decisions(result, "", &refusal);
      send_error(refusal);
      co_return;
    }
    record_decisions(result, "", nullptr);
    if (!session_counted_) {
      session_counted_ = true;
      ctx_.policy->count_connection(txn_);
    }
  }
  transaction_sender_ = sender;
  in_transaction_ = true;
  mail_from_ = command.path;
  mail_params_ = params;
  send(Reply(250, "2.1.0", "Ok"));
}

// The policy's view of this transaction, from MAIL on.
void Session::start_policy_transaction(const mail::Sender& sender, const std::string& mail_from,
                                       std::optional<uint64_t> declared_size) {
  snapshot_ = ctx_.policy->snapshot();
  txn_ = policy::Transaction{};
  txn_.stage = policy::Stage::kMail;
  txn_.now = std::time(nullptr);
  txn_.client_ip = client_ip_;
  txn_.sender = sender;
  txn_.authenticated = auth_sender_.has_value();
  txn_.snapshot = snapshot_.get();
  txn_.settings = &snapshot_->settings(sender.name);
  txn_.domain = snapshot_->domain(sender.domain);
  txn_.server_max_message_size = limits_.max_message_size;
  txn_.mail_from = mail_from;
  txn_.declared_size = declared_size;
  txn_.session_counted = session_counted_;
  identity_method_ = ctx_.policy->identity_method(sender.name);
  if (identity_method_.kind != policy::IdentityKind::kHeader) {
    auto id = policy::extract_identity(identity_method_, identity_input(""));
    if (id.usable) txn_.identity = id.identity;
  }
}

policy::IdentityInput Session::identity_input(std::string_view message) const {
  policy::IdentityInput input;
  if (auth_sender_) input.auth_user = auth_user_;
  if (txn_.sender.kind == mail::SenderKind::kIp) input.ip_user = txn_.sender.name;
  input.mail_from = txn_.mail_from;
  input.message = message;
  return input;
}

void Session::on_rcpt(const Command& command) {
  if (inbound_) return on_inbound_rcpt(command);  // F-BATV
  if (!in_transaction_) return send_error(Reply(503, "5.5.1", "Need MAIL command"));
  if (command.path.empty()) return send_error(Reply(501, "5.1.3", "Empty recipient address"));
  if (!mail_params_.smtputf8 && !is_ascii(command.path))
    return send_error(Reply(553, "5.6.7", "Non-ASCII address needs SMTPUTF8"));
  if (auto e = mailbox_syntax_error(command.path, mail_params_.smtputf8)) {
    if (transaction_sender_ && ctx_.policy)
      ctx_.policy->count_invalid_recipient(txn_, command.path);
    return send_error(Reply(553, "5.1.3", "Bad recipient address syntax: " + *e));
  }
  if (!transaction_sender_) {
    spdlog::info("event=reject reason=relay client={} from=<{}> to=<{}>", client_ip_,
                 printable(mail_from_), printable(command.path));
    obs::metrics().count(obs::Outcome::kRelayUnknownSender);
    return send_error(Reply(550, "5.7.1", "Relay not permitted!"));
  }
  if (recipients_.size() >= static_cast<size_t>(limits_.max_recipients))
    return send_error(Reply(452, "4.5.3", "Too many recipients"));
  if (ctx_.policy) {
    txn_.stage = policy::Stage::kRcpt;
    txn_.now = std::time(nullptr);
    txn_.rcpt = command.path;
    txn_.recipients = recipients_;
    auto result = ctx_.policy->evaluate(txn_);
    if (!result.verdict.passed()) {
      const Reply refusal = policy_reply(result.verdict);
      record_decisions(result, "", &refusal);
      return send_error(refusal);
    }
    record_decisions(result, "", nullptr);
  }
  recipients_.push_back(command.path);
  send(Reply(250, "2.1.5", "Ok"));
}

// Item 13 of issue 15: the trail and the log line of the decision that was enforced carry the
// reply the client is really given (`sent`), not the check's own text.
void Session::record_decisions(policy::ChainResult& result, const std::string& id,
                               const Reply* sent) {
  if (sent && !result.verdict.passed()) {
    for (auto it = result.decisions.rbegin(); it != result.decisions.rend(); ++it) {
      if (it->monitor || it->passed()) continue;
      std::string text;
      for (const auto& line : sent->lines) text += (text.empty() ? "" : " ") + line;
      it->response = {sent->code, sent->enhanced, std::move(text)};
      break;
    }
  }
  ctx_.policy->record_decisions(txn_, result, id);
}

}  // namespace pw::smtp::detail
