// What delivery did with each recipient: delivered, bounced, deferred (with its next attempt) or
// expired; journaled before the log commits it, and the spool file removed when all are final.
// Part of QueueManager::State (queue/queue_state.hpp), issue 16 item 4.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "obs/metrics.hpp"
#include "queue/queue_state.hpp"

namespace pw::queue {

// ---- outcomes -----------------------------------------------------------------------------
void QueueManager::State::record(const std::shared_ptr<Message>& message, size_t index,
                                 std::string event) {
  const auto& r = message->recipients[index];
  store::RecipientUpdate update{message->envelope.id, r.address,    r.status, r.attempts,
                                r.next_attempt,       r.last_reply, r.remote, std::move(event)};
  if (journal && store::is_final(update.status)) journal_outcome(update);
  log.submit([update](store::MessageLog& l) { return l.record_recipient(update); });
}

// The journal has it at once; a full journal file goes once the log has committed everything
// submitted before it (the writer commits in order).
void QueueManager::State::journal_outcome(const store::RecipientUpdate& update) {
  auto full = journal->append(update);
  if (!full) {
    obs::metrics().count(obs::Outcome::kSpoolJournal);
    spdlog::error("event=journal_write_failed error=\"{}\"", full.error().message);
    return;
  }
  if (full->empty()) return;
  log.submit([](store::MessageLog&) -> Result<void> { return {}; },
             [path = *full] {
               std::error_code ignored;
               std::filesystem::remove(path, ignored);
             });
}

void QueueManager::State::settle(const std::shared_ptr<Message>& message) {
  if (message->pending > 0) --message->pending;
  if (message->pending == 0) finish_message(message);
}

// The administrator deleted the message while this recipient was being delivered: the log
// already says deleted (so a restart does not deliver it); only a delivery that did happen
// is still recorded, because it is the truth.
bool QueueManager::State::outcome_after_delete(const std::shared_ptr<Message>& message,
                                               size_t index, bool was_delivered,
                                               const std::string& reply,
                                               const std::string& remote) {
  auto& r = message->recipients[index];
  if (r.status != DeliveryStatus::kDeleted) return false;
  r.in_flight = false;
  if (was_delivered) {
    r.status = DeliveryStatus::kDelivered;
    ++r.attempts;
    r.last_reply = reply;
    r.remote = remote;
    obs::metrics().count(obs::Outcome::kDeliveryDelivered);
    record(message, index, "delivered");
  }
  return true;
}

void QueueManager::State::delivered(const std::shared_ptr<Message>& message, size_t index,
                                    const std::string& reply, const std::string& remote) {
  if (outcome_after_delete(message, index, true, reply, remote)) return;
  auto& r = message->recipients[index];
  r.in_flight = false;
  r.status = DeliveryStatus::kDelivered;
  ++r.attempts;
  r.last_reply = reply;
  r.remote = remote;
  obs::metrics().count(obs::Outcome::kDeliveryDelivered);
  spdlog::info("event=delivered id={} to=<{}> relay={} reply=\"{}\"", message->envelope.id,
               r.address, remote, reply);
  record(message, index, "delivered");
  settle(message);
}

void QueueManager::State::bounced(const std::shared_ptr<Message>& message, size_t index,
                                  const std::string& reply, const std::string& remote) {
  if (outcome_after_delete(message, index, false, reply, remote)) return;
  auto& r = message->recipients[index];
  r.in_flight = false;
  r.status = DeliveryStatus::kBounced;
  ++r.attempts;
  r.last_reply = reply;
  r.remote = remote;
  obs::metrics().count(obs::Outcome::kDeliveryBounced);
  if (on_permanent_failure && !message->is_bounce)
    on_permanent_failure(message->envelope, r.address);
  spdlog::info("event=bounced id={} to=<{}> relay={} reply=\"{}\"", message->envelope.id, r.address,
               remote.empty() ? "none" : remote, reply);
  record(message, index, "bounced");
  settle(message);
}

void QueueManager::State::deferred(const std::shared_ptr<Message>& message, size_t index,
                                   const std::string& reply, const std::string& remote) {
  if (outcome_after_delete(message, index, false, reply, remote)) return;
  auto& r = message->recipients[index];
  r.in_flight = false;
  ++r.attempts;
  r.last_reply = reply;
  r.remote = remote;
  const int64_t now = now_s();
  if (now - message->envelope.received_at >= config.max_queue_lifetime_s) {
    r.status = DeliveryStatus::kExpired;
    r.last_reply = "message expired after " + std::to_string(now - message->envelope.received_at) +
                   " s in the queue; last error: " + reply;
    obs::metrics().count(obs::Outcome::kDeliveryExpired);
    spdlog::info("event=expired id={} to=<{}> reply=\"{}\"", message->envelope.id, r.address,
                 reply);
    record(message, index, "expired");
    settle(message);
    return;
  }
  int64_t shift = std::min<int64_t>(r.attempts - 1, 30);
  int64_t delay = std::min<int64_t>(config.retry_min_s << shift, config.retry_max_s);
  // Never wait past the expiry: the last attempt falls on it.
  int64_t expiry = message->envelope.received_at + config.max_queue_lifetime_s;
  r.next_attempt = std::min(now + delay, std::max(expiry, now + 1));
  r.status = DeliveryStatus::kDeferred;
  obs::metrics().count(obs::Outcome::kDeliveryDeferred);
  spdlog::info("event=deferred id={} to=<{}> relay={} attempts={} retry_in={}s reply=\"{}\"",
               message->envelope.id, r.address, remote.empty() ? "none" : remote, r.attempts,
               r.next_attempt - now, reply);
  record(message, index, "deferred");
  add_retry(r.next_attempt, message->envelope.id);
}

void QueueManager::State::remove_spool_file(const std::string& id, std::filesystem::path path,
                                            std::string event) {
  log.submit([id, event = std::move(event)](
                 store::MessageLog& l) { return l.record_event(id, "", event, "", ""); },
             [spool = &spool, path = std::move(path)] { spool->recycle(path); });
}

}  // namespace pw::queue
