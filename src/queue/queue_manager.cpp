// The queue manager's interface: start, stop, submit, flush, remove and the routes; the work is
// in its parts (queue/queue_state.hpp lists them). All state lives on the queue's own event
// loop; other threads only post to it.
// SECURITY: talks to remote SMTP servers and DNS servers; their replies are bounded by the SMTP
// client and only ever stored as printable text.
#include "queue/queue_manager.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <deque>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "batv/batv_snapshot.hpp"
#include "delivery/client_session.hpp"
#include "mail/header_summary.hpp"
#include "net/dns_resolver.hpp"
#include "net/mx_address_rules.hpp"
#include "net/mx_route.hpp"
#include "obs/metrics.hpp"
#include "queue/dsn.hpp"
#include "queue/outcome_journal.hpp"
#include "queue/queue_state.hpp"
#include "store/log_writer.hpp"
#include "store/message_log.hpp"
#include "store/statement.hpp"
#include "util/blocking.hpp"

namespace pw::queue {

QueueManager::QueueManager(Dependencies dependencies)
    : state_(std::make_shared<State>(std::move(dependencies), queued_)) {}

QueueManager::~QueueManager() = default;

bool QueueManager::accepting() const {
  return queued_.load() < static_cast<size_t>(state_->config.max_queued_messages);
}

Result<void> QueueManager::start() {
  auto& s = *state_;
  auto resolver = net::DnsResolver::create(s.loop.get_executor(), net::DnsOptions::from(s.config));
  if (!resolver) return tl::unexpected(resolver.error());
  s.resolver = *resolver;
  auto rules = net::MxAddressRules::make(s.own_listeners, s.config.allow_loopback_mx,
                                         s.config.allow_private_mx);
  if (!rules) return tl::unexpected(rules.error());
  s.mx_rules = std::move(*rules);
  auto tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(tls->native_handle(), TLS1_2_VERSION);
  tls->set_verify_mode(asio::ssl::verify_none);  // opportunistic TLS (RFC 7435)
  auto& o = s.client_options;
  o = delivery::ClientOptions::from(s.config);
  o.helo_name = s.config.helo_name.empty() ? s.hostname : s.config.helo_name;
  o.tls = tls;
  return {};
}

void QueueManager::stop() {
  asio::post(state_->loop, [state = state_] {
    state->stopping = true;
    state->retry_timer.cancel();
    for (auto& [key, d] : state->destinations)
      for (auto& weak : d.idle)
        if (auto timer = weak.lock()) timer->cancel();
  });
}

void QueueManager::submit(const Envelope& envelope, std::string_view message_id,
                          std::string_view subject) {
  queued_.fetch_add(1);
  asio::post(state_->loop, [state = state_, envelope, message_id = std::string(message_id),
                            subject = std::string(subject)] {
    state->ingest(envelope, message_id, subject, false);
  });
}

void QueueManager::flush(std::string message_id, std::function<void(std::string)> done) {
  asio::post(state_->loop,
             [state = state_, message_id = std::move(message_id), done = std::move(done)] {
               size_t count = 0;
               for (auto& [id, message] : state->messages) {
                 if (!message_id.empty() && id != message_id) continue;
                 for (auto& r : message->recipients)
                   if (r.status == DeliveryStatus::kDeferred && !r.in_flight) r.next_attempt = 0;
                 state->schedule(message);
                 ++count;
               }
               if (!message_id.empty() && count == 0)
                 done("no queued message " + message_id);
               else
                 done(fmt::format("flushed {} message(s)", count));
             });
}

void QueueManager::remove(std::string message_id, std::function<void(std::string)> done) {
  asio::post(state_->loop,
             [state = state_, message_id = std::move(message_id), done = std::move(done)] {
               auto it = state->messages.find(message_id);
               if (it == state->messages.end()) {
                 done("no queued message " + message_id);
                 return;
               }
               auto message = it->second;
               message->deleted = true;
               for (size_t i = 0; i < message->recipients.size(); ++i) {
                 auto& r = message->recipients[i];
                 // In-flight recipients too: their delivery may still finish (and is then
                 // recorded), but if it does not, nothing brings the message back.
                 if (store::is_final(r.status)) continue;
                 r.status = DeliveryStatus::kDeleted;
                 r.last_reply = "deleted by the administrator";
                 state->record(message, i, "deleted");
                 if (message->pending > 0) --message->pending;
               }
               if (message->pending == 0) state->finish_message(message);
               done("deleted " + message_id);
             });
}

void QueueManager::set_batv(std::shared_ptr<const batv::BatvSnapshot> snapshot) {
  std::lock_guard lock(state_->routes_mutex);
  state_->batv = std::move(snapshot);
}

void QueueManager::set_routes(std::map<std::string, std::string> routes) {
  std::lock_guard lock(state_->routes_mutex);
  state_->routes = std::move(routes);
}

}  // namespace pw::queue
