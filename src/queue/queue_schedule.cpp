// The queue's destinations and retry schedule: messages grouped by destination (MX domain or
// fixed route), retries due in order, one worker per connection up to the limits.
// Part of QueueManager::State (queue/queue_state.hpp), issue 16 item 4.
#include <spdlog/spdlog.h>

#include <unordered_set>

#include "queue/queue_state.hpp"

namespace pw::queue {

// F-BATV: the envelope sender as written in MAIL FROM, tagged now (so a retry days later
// carries a fresh tag) when its domain has batv on. Bounces and DSNs (the null sender) never;
// the spool and the log keep the original address.
std::string QueueManager::State::outgoing_sender(const Message& message) {
  const auto& envelope = message.envelope;
  if (message.is_bounce || envelope.mail_from.empty() || envelope.sender_kind == mail::Origin::kDsn)
    return envelope.mail_from;
  std::shared_ptr<const batv::BatvSnapshot> snapshot;
  {
    std::lock_guard lock(routes_mutex);
    snapshot = batv;
  }
  if (!snapshot) return envelope.mail_from;
  return snapshot->tag_sender(envelope.mail_from, now_s());
}

// ---- scheduling ---------------------------------------------------------------------------
std::string QueueManager::State::destination_key(const std::string& domain,
                                                 std::string& fixed_route) {
  if (!config.relay_host.empty()) {
    fixed_route = config.relay_host;
    return "relay:" + config.relay_host;
  }
  {
    std::lock_guard lock(routes_mutex);
    auto it = routes.find(domain);
    if (it != routes.end()) {
      fixed_route = it->second;
      return "route:" + it->second;
    }
  }
  fixed_route.clear();
  return "mx:" + domain;
}

void QueueManager::State::add(const std::shared_ptr<Message>& message) {
  const auto& id = message->envelope.id;
  if (messages.count(id)) return;
  message->pending = 0;
  for (const auto& r : message->recipients)
    if (!store::is_final(r.status)) ++message->pending;
  if (message->pending == 0) {
    finish_message(message);
    return;
  }
  messages.emplace(id, message);
  queued.store(messages.size());
  schedule(message);
}

// Logs a spooled message and queues it (on the loop).
void QueueManager::State::ingest(const Envelope& envelope, std::string message_id,
                                 std::string subject, bool is_bounce) {
  auto received = received_record(envelope, std::move(message_id), std::move(subject), is_bounce);
  log.submit([received = std::move(received)](store::MessageLog& l) {
    return l.record_received(received);
  });
  add(make_message(envelope, is_bounce));
}

std::shared_ptr<Message> QueueManager::State::make_message(const Envelope& envelope,
                                                           bool is_bounce) {
  auto message = std::make_shared<Message>();
  message->envelope = envelope;
  message->is_bounce =
      is_bounce || (envelope.mail_from.empty() && envelope.sender_kind == mail::Origin::kDsn);
  for (const auto& rcpt : envelope.rcpt_to) {
    Recipient r;
    r.address = rcpt;
    r.domain = store::address_domain(rcpt);
    message->recipients.push_back(std::move(r));
  }
  return message;
}

// Queues every due recipient of `message` to its destination.
void QueueManager::State::schedule(const std::shared_ptr<Message>& message) {
  if (message->deleted || stopping || !config.enabled) return;
  const int64_t now = now_s();
  std::map<std::string, Job> jobs;
  int64_t next_retry = 0;
  for (size_t i = 0; i < message->recipients.size(); ++i) {
    auto& r = message->recipients[i];
    if (store::is_final(r.status) || r.in_flight) continue;
    if (r.next_attempt > now) {
      if (next_retry == 0 || r.next_attempt < next_retry) next_retry = r.next_attempt;
      continue;
    }
    std::string fixed;
    std::string key = destination_key(r.domain, fixed);
    auto& job = jobs[key];
    job.message = message;
    job.indexes.push_back(i);
    auto [it, created] = destinations.try_emplace(key);
    if (created) {
      it->second.key = key;
      it->second.domain = r.domain;
      it->second.fixed_route = fixed;
    }
  }
  if (next_retry) add_retry(next_retry, message->envelope.id);
  for (auto& [key, job] : jobs) {
    for (size_t i : job.indexes) message->recipients[i].in_flight = true;
    destinations[key].jobs.push_back(std::move(job));
    dispatch(key);
  }
}

void QueueManager::State::add_retry(int64_t when, const std::string& id) {
  bool earliest = retries.empty() || when < retries.begin()->first;
  retries.emplace(when, id);
  if (earliest) arm_retry_timer();
}

void QueueManager::State::arm_retry_timer() {
  if (retries.empty() || stopping) return;
  auto delay = std::chrono::seconds(std::max<int64_t>(0, retries.begin()->first - now_s()));
  retry_timer.expires_after(delay);
  retry_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    self->run_due_retries();
  });
}

void QueueManager::State::run_due_retries() {
  const int64_t now = now_s();
  std::unordered_set<std::string> due;
  while (!retries.empty() && retries.begin()->first <= now) {
    due.insert(retries.begin()->second);
    retries.erase(retries.begin());
  }
  for (const auto& id : due) {
    auto it = messages.find(id);
    if (it != messages.end()) schedule(it->second);
  }
  arm_retry_timer();
}

void QueueManager::State::dispatch(const std::string& key) {
  auto& d = destinations[key];
  // An open idle connection takes the work before a new one is opened.
  while (!d.idle.empty()) {
    auto timer = d.idle.front().lock();
    d.idle.pop_front();
    if (timer) {
      timer->cancel();
      return;
    }
  }
  while (!stopping && !d.jobs.empty() && d.active < config.max_connections_per_destination &&
         total_connections < config.max_connections &&
         static_cast<size_t>(d.active) < d.jobs.size()) {
    ++d.active;
    ++total_connections;
    asio::co_spawn(loop, worker(key),
                   [self = shared_from_this(), key](const std::exception_ptr& e) {
                     if (e) {
                       try {
                         std::rethrow_exception(e);
                       } catch (const std::exception& ex) {
                         spdlog::error("event=delivery_worker_error destination={} error=\"{}\"",
                                       key, ex.what());
                       }
                     }
                     self->worker_finished(key);
                   });
  }
}

void QueueManager::State::worker_finished(const std::string& key) {
  auto& d = destinations[key];
  --d.active;
  --total_connections;
  if (!d.jobs.empty()) {
    dispatch(key);
  } else if (d.active == 0) {
    destinations.erase(key);
  }
  // Another destination may have waited for a free connection.
  if (total_connections < config.max_connections) {
    std::vector<std::string> waiting;
    for (auto& [k, dest] : destinations)
      if (!dest.jobs.empty() && dest.active == 0) waiting.push_back(k);
    for (const auto& k : waiting) dispatch(k);
  }
}

}  // namespace pw::queue
