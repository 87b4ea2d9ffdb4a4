// DATA: the message read within its limits, then inspected (virus scan, spam counting) before
// acceptance.
// Part of the Session class of smtp/session.hpp (one file per phase, issue 16 item 4).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <ctime>

#include "dkim/message_signer.hpp"
#include "obs/metrics.hpp"
#include "policy/policy_service.hpp"
#include "scan/clamd_client.hpp"
#include "smtp/session.hpp"
#include "smtp/trace_hops.hpp"
#include "util/blocking.hpp"
#include "util/utc_time.hpp"

namespace pw::smtp::detail {

awaitable<Flow> Session::on_data() {
  if (!in_transaction_) {
    send_error(Reply(503, "5.5.1", "Need MAIL command"));
    co_return Flow::kContinue;
  }
  if (recipients_.empty()) {
    send_error(Reply(554, "5.5.1", "No valid recipients"));
    co_return Flow::kContinue;
  }
  send(Reply(354, "", "End data with <CR><LF>.<CR><LF>"));
  if (!co_await flush()) co_return Flow::kClose;
  DataReader reader(static_cast<uint64_t>(limits_.max_message_size));
  // F-DKIM: the body hash is computed while the data arrives, so signing needs no second pass.
  std::optional<dkim::SigningChoice> signing = signing_choice();
  std::optional<dkim::BodyHasher> body_hasher;
  if (signing) {
    const dkim::Canon body = ctx_.dkim_options->canonicalization.body;
    body_hasher.emplace(body == dkim::Canon::kRelaxed, body == dkim::Canon::kSimple);
  }
  // Issue 17 item 4: beyond data_memory_bytes the body goes on to a file as it arrives.
  MessageSpill spill(static_cast<size_t>(limits_.data_memory_bytes),
                     [spool = ctx_.spool.get()] { return spool->open_unnamed(); });
  if (!co_await read_data(reader, spill, body_hasher)) co_return Flow::kClose;
  Flow flow = Flow::kContinue;
  if (auto refusal = data_refusal(reader, spill)) {
    send_error(*refusal);
  } else if (inbound_) {  // F-BATV: a bounce to a tagged address
    flow = co_await accept_bounce(spill.content(reader.message()));
  } else {
    dkim::BodyHasher::Digests body_hashes;
    if (body_hasher) body_hashes = body_hasher->finish();
    flow = co_await accept_message(spill.content(reader.message()), signing, body_hashes);
  }
  reset_transaction();
  co_return flow;
}

awaitable<bool> Session::read_data(DataReader& reader, MessageSpill& spill,
                                   std::optional<dkim::BodyHasher>& hasher) {
  const auto data_deadline = Clock::now() + std::chrono::seconds(limits_.data_deadline_s);
  size_t hashed = 0;  // of reader.message(): hashed before the spill moves it on
  for (;;) {
    size_t used = reader.feed(in_);
    in_.erase(0, used);
    if (!reader.too_big()) {
      std::string& data = reader.message();
      if (hasher) hasher->update(std::string_view(data).substr(hashed));
      spill.absorb(data);
      hashed = data.size();
    }
    if (reader.done()) {
      if (!reader.too_big()) spill.finish(reader.message());
      co_return true;
    }
    // Item 6 of issue 15: the silence between reads and the whole of DATA are both bounded.
    arm_until(std::min(data_deadline, Clock::now() + std::chrono::seconds(limits_.data_timeout_s)));
    if (co_await read_more()) continue;
    if (timed_out_) {
      const bool deadline = Clock::now() >= data_deadline;
      send(Reply(421, "4.4.2",
                 fmt::format("{} Error: {} exceeded during DATA", ctx_.hostname,
                             deadline ? "deadline" : "timeout")));
      spdlog::info("event=timeout client={} phase=data kind={} size={}", client_ip_,
                   deadline ? "deadline" : "idle", reader.size());
    } else {
      spdlog::info("event=lost_during_data client={} size={}", client_ip_, reader.size());
    }
    co_return false;
  }
}

std::optional<Reply> Session::data_refusal(DataReader& reader, const MessageSpill& spill) const {
  if (reader.too_big())
    return Reply(552, "5.3.4", "Message size exceeds fixed maximum message size");
  if (spill.header_too_big()) {
    spdlog::info("event=reject reason=header_too_big client={} limit={}", client_ip_,
                 limits_.data_memory_bytes);
    return Reply(
        552, "5.3.4",
        fmt::format("Message header section is larger than {} octets", limits_.data_memory_bytes));
  }
  if (!spill.error().empty()) {
    obs::metrics().count(obs::Outcome::kSpoolWrite);
    spdlog::error("event=spool_error client={} error=\"{}\"", client_ip_, spill.error());
    return Reply(451, "4.3.0", "Temporary failure writing the message; try again later");
  }
  if (reader.has_nul() || reader.bare_line_ending())
    spdlog::info("event=reject reason=malformed_data client={} nul={} bare_line_ending={}",
                 client_ip_, reader.has_nul(), reader.bare_line_ending());
  if (reader.has_nul()) return Reply(550, "5.6.0", "Message contains NUL characters");
  if (reader.bare_line_ending())
    return Reply(550, "5.6.0",
                 "Message contains bare CR or LF characters; lines must end with CRLF");
  const auto hops = static_cast<size_t>(ctx_.config.smtp.max_hops);
  if (count_received_fields(reader.message(), hops + 1) > hops) {
    spdlog::info("event=reject reason=mail_loop client={} max_hops={}", client_ip_, hops);
    return Reply(554, "5.4.6",
                 fmt::format("Too many hops: more than {} Received: fields, a mail loop", hops));
  }
  if (more_header_fields_than(reader.message(), static_cast<size_t>(limits_.max_header_fields))) {
    // Issue 15, item 5: no scan or DKIM signature sees a header section beyond the bound.
    spdlog::info("event=reject reason=too_many_header_fields client={} limit={}", client_ip_,
                 limits_.max_header_fields);
    return Reply(552, "5.3.4",
                 fmt::format("Message has more than {} header fields", limits_.max_header_fields));
  }
  return std::nullopt;
}

std::string Session::received_header(const std::string& id) const {
  // RFC 5321 4.4 trace field; protocol names from RFC 3848 and RFC 6531.
  std::string protocol = mail_params_.smtputf8 ? "UTF8SMTP" : (extended_ ? "ESMTP" : "SMTP");
  if (tls_) protocol += "S";
  if (auth_sender_) protocol += "A";
  std::string for_clause =
      recipients_.size() == 1 ? fmt::format("\r\n\tfor <{}>", recipients_.front()) : "";
  return fmt::format(
      "Received: from {} ([{}])\r\n\tby {} (postwarden) with {} id {}{};\r\n\t{}\r\n", helo_,
      client_ip_, ctx_.hostname, protocol, id, for_clause, util::rfc5322_date(std::time(nullptr)));
}

// Blocking work of a spam verdict (counters, maybe a lock and its notices) off the loop. The
// lock names the message by its queue id (F-LOCK-WHY).
awaitable<void> Session::count_spam(const policy::Verdict& verdict, const std::string& id,
                                    policy::SpamOutcome outcome) {
  auto* policy = ctx_.policy;
  const policy::Transaction* txn = &txn_;
  policy::SpamMessage message{id, txn_.now, verdict.check, outcome, {}};
  co_await util::run_blocking(*ctx_.blocking, [policy, txn, &verdict, &message] {
    policy->count_spam(*txn, verdict, message);
    return true;
  });
}

}  // namespace pw::smtp::detail
