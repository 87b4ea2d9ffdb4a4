// The DSN sender (RFC 3464): one report to the envelope sender for the recipients that bounced or
// expired, spooled and queued like any message; bounces and our own DSNs never get one.
// Part of QueueManager::State (queue/queue_state.hpp), issue 16 item 4.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "mail/header_summary.hpp"
#include "obs/metrics.hpp"
#include "queue/dsn.hpp"
#include "queue/queue_state.hpp"
#include "queue/spool_reader.hpp"

namespace pw::queue {

namespace {

bool is_enhanced_code(std::string_view text) {
  // "x.y.z" with a class digit 2, 4 or 5 and one to three digits per detail (RFC 3463).
  if (text.size() < 5 || (text[0] != '2' && text[0] != '4' && text[0] != '5') || text[1] != '.')
    return false;
  size_t second_dot = text.find('.', 2);
  if (second_dot == std::string_view::npos || second_dot == 2 || second_dot > 5) return false;
  auto digits = [](std::string_view part) {
    return !part.empty() && part.size() <= 3 &&
           std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  return digits(text.substr(2, second_dot - 2)) && digits(text.substr(second_dot + 1));
}

// RFC 3463 status for a DSN: from a server reply ("550 5.1.1 text") or one of our own reasons
// ("5.1.10 text"); a generic code when neither carries one.
std::string dsn_status(const std::string& reply, bool expired) {
  if (expired) return "4.4.7";
  std::string_view text = reply;
  if (text.size() > 4 && text[3] == ' ' && std::isdigit(static_cast<unsigned char>(text[0])))
    text.remove_prefix(4);
  std::string_view token = text.substr(0, text.find(' '));
  if (is_enhanced_code(token)) return std::string(token);
  return !reply.empty() && reply[0] == '4' ? "4.0.0" : "5.0.0";
}

}  // namespace

// Every recipient is final: DSN for the failures, then the spool file goes (after the log
// has committed the final states, so a crash in between delivers again rather than loses).
void QueueManager::State::finish_message(const std::shared_ptr<Message>& message) {
  messages.erase(message->envelope.id);
  queued.store(messages.size());
  std::vector<FailedRecipient> failed;
  for (const auto& r : message->recipients) {
    bool expired = r.status == DeliveryStatus::kExpired;
    if (r.status != DeliveryStatus::kBounced && !expired) continue;
    // RFC 3464 2.3.6: "smtp;" for a remote server's reply, our own type for our reasons.
    bool from_server = !r.remote.empty() && !expired;
    failed.push_back({r.address, dsn_status(r.last_reply, expired),
                      (from_server ? "smtp; " : "x-postwarden; ") + r.last_reply, r.remote,
                      now_s()});
  }
  auto path = spool.incoming_dir() / message->envelope.id;
  // Never a bounce for a bounce (RFC 5321 6.1, RFC 3464): the null sender gets no DSN.
  if (!failed.empty() && !message->deleted && !message->is_bounce &&
      !message->envelope.mail_from.empty()) {
    send_dsn(message, std::move(failed), path);
    return;
  }
  remove_spool_file(message->envelope.id, path, "completed");
}

void QueueManager::State::send_dsn(std::shared_ptr<Message> message,
                                   std::vector<FailedRecipient> failed,
                                   std::filesystem::path path) {
  auto self = shared_from_this();
  asio::post(blocking, [self, message = std::move(message), failed = std::move(failed),
                        path = std::move(path)]() mutable {
    // Only the header section goes back to the sender: a large message is not read whole.
    auto original = open_spooled_message(path, self->message_memory_bytes);
    auto start = original ? message_start(*original, self->message_memory_bytes)
                          : Result<std::string>(tl::unexpected(original.error()));
    std::string headers = start ? std::string(mail::header_section(*start)) : "";
    DsnRequest request;
    request.reporting_mta = self->hostname;
    request.original_id = message->envelope.id;
    request.arrival_date = message->envelope.received_at;
    request.original_sender = message->envelope.mail_from;
    request.recipients = std::move(failed);
    request.original_headers = headers;
    request.now = now_s();
    request.boundary = fmt::format("{}.{}/{}", message->envelope.id, request.now, self->hostname);
    std::string dsn = build_dsn(request);
    Envelope envelope;
    envelope.id = self->spool.new_id();
    envelope.received_at = request.now;
    envelope.client_ip = "127.0.0.1";
    envelope.helo = self->hostname;
    envelope.sender_kind = mail::Origin::kDsn;
    envelope.sender = "MAILER-DAEMON";
    envelope.domain = message->envelope.domain;
    envelope.mail_from = "";
    envelope.rcpt_to = {message->envelope.mail_from};
    envelope.size = dsn.size();
    auto stored = self->spool.store(envelope, {dsn});
    asio::post(self->loop, [self, message, envelope, path, stored, dsn_size = dsn.size()] {
      if (!stored) {
        // The original stays in the spool and comes back at the next start: nothing is lost.
        obs::metrics().count(obs::Outcome::kDsnFailed);
        spdlog::error("event=dsn_failed id={} error=\"{}\"", message->envelope.id,
                      stored.error().message);
        return;
      }
      obs::metrics().count(obs::Outcome::kDsnSent);
      spdlog::info("event=dsn id={} original={} to=<{}> size={}", envelope.id, message->envelope.id,
                   message->envelope.mail_from, dsn_size);
      self->ingest(envelope, "", "Undelivered Mail Returned to Sender", true);
      self->log.submit([id = message->envelope.id, dsn_id = envelope.id](store::MessageLog& l) {
        return l.record_event(id, "", "dsn_sent", "", "DSN " + dsn_id);
      });
      self->remove_spool_file(message->envelope.id, path, "completed");
    });
  });
}

}  // namespace pw::queue
