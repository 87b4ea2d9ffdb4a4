// The delivery worker: resolves its destination, opens a connection and sends the jobs queued
// for it, reusing the connection while more mail waits.
// Part of QueueManager::State (queue/queue_state.hpp), issue 16 item 4.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "queue/queue_state.hpp"
#include "queue/spool_reader.hpp"
#include "util/blocking.hpp"

namespace pw::queue {

namespace {

// Our own reasons carry an enhanced code too, so DSNs and the log say what kind of failure it
// was: RFC 7505 3 for a null MX, RFC 3463 X.1.2 (bad destination system) for a domain that does
// not exist, X.4.3 (routing server failure) for DNS trouble, X.4.1 (no answer) for connections.
std::string route_failure_reply(const net::RouteFailure& failure) {
  if (!failure.status.empty()) return failure.status + " " + failure.reason;
  if (!failure.permanent) return "4.4.3 " + failure.reason;
  if (failure.reason.find("null MX") != std::string::npos) return "5.1.10 " + failure.reason;
  return "5.1.2 " + failure.reason;
}

}  // namespace

// ---- delivery -----------------------------------------------------------------------------
awaitable<net::RouteResult> QueueManager::State::resolve(const Destination& d) {
  if (!d.fixed_route.empty()) co_return co_await net::resolve_fixed_route(*resolver, d.fixed_route);
  auto route = co_await net::resolve_mail_route(*resolver, d.domain,
                                                static_cast<uint16_t>(config.smtp_port), random);
  if (!route) co_return route;
  co_return net::screen_mx_targets(std::move(*route), mx_rules, d.domain);
}

// Fails the queued jobs of a destination that cannot be reached now.
void QueueManager::State::fail_queued_jobs(Destination& d, bool permanent,
                                           const std::string& reason, const std::string& remote) {
  while (!d.jobs.empty()) {
    Job job = std::move(d.jobs.front());
    d.jobs.pop_front();
    for (size_t i : job.indexes) {
      if (job.message->deleted) {
        job.message->recipients[i].in_flight = false;
        continue;
      }
      if (permanent)
        bounced(job.message, i, reason, remote);
      else
        deferred(job.message, i, reason, remote);
    }
  }
}

// Waits until a job arrives for `key` or the reuse time passes; true when one is there.
awaitable<bool> QueueManager::State::wait_for_job(const std::string& key) {
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(config.connection_reuse_s);
  while (!stopping) {
    if (!destinations[key].jobs.empty()) co_return true;
    if (std::chrono::steady_clock::now() >= deadline) co_return false;
    auto timer = std::make_shared<asio::steady_timer>(loop, deadline);
    destinations[key].idle.push_back(timer);
    boost::system::error_code ec;
    co_await timer->async_wait(asio::redirect_error(use_awaitable, ec));
  }
  co_return false;
}

// The first target of the route that takes a connection; null when none does (the destination's
// queued jobs are then failed, for good when a server refused for good).
awaitable<std::unique_ptr<delivery::SmtpClientConnection>> QueueManager::State::connect_to(
    const std::vector<net::RouteTarget>& targets, const std::string& key, std::string& remote) {
  std::vector<std::string> errors;
  bool permanent = false;
  for (const auto& target : targets) {
    if (stopping) co_return nullptr;
    asio::ip::tcp::endpoint endpoint(target.address, target.port);
    auto connected = co_await delivery::SmtpClientConnection::connect(loop.get_executor(), endpoint,
                                                                      target.host, client_options);
    if (connected) {
      remote = fmt::format("{}[{}]:{}", target.host, target.address.to_string(), target.port);
      co_return std::move(*connected);
    }
    errors.push_back(connected.error().reason);
    if (connected.error().permanent) {
      permanent = true;
      break;
    }
  }
  if (stopping) co_return nullptr;
  auto& d = destinations[key];
  std::string reason = (permanent ? "5.4.0 " : "4.4.1 ") +
                       (errors.empty() ? "no host to connect to" : errors.back());
  if (d.active == 1 || permanent) fail_queued_jobs(d, permanent, reason, "");
  co_return nullptr;
}

// Each recipient of the job as the transaction left it.
void QueueManager::State::record_replies(const Job& job, const delivery::TransactionResult& result,
                                         const std::string& remote) {
  for (size_t n = 0; n < job.indexes.size(); ++n) {
    delivery::ServerReply reply = result.outcome(n);
    size_t index = job.indexes[n];
    std::string text = reply.str();
    if (reply.positive())
      delivered(job.message, index, text, remote);
    else if (reply.permanent())
      bounced(job.message, index, text, remote);
    else
      deferred(job.message, index, result.error.empty() ? text : result.error, remote);
  }
}

awaitable<void> QueueManager::State::worker(std::string key) {
  auto self = shared_from_this();
  net::RouteResult route = co_await resolve(destinations[key]);
  if (!route) {
    auto& d = destinations[key];
    if (d.active == 1)
      fail_queued_jobs(d, route.error().permanent, route_failure_reply(route.error()), "");
    co_return;
  }
  std::string remote;
  auto connection = co_await connect_to(*route, key, remote);
  if (!connection) co_return;

  int64_t sent = 0;
  while (connection->usable() && sent < config.messages_per_connection && !stopping) {
    if (destinations[key].jobs.empty() && !co_await wait_for_job(key)) break;
    auto& d = destinations[key];
    if (d.jobs.empty()) continue;
    Job job = std::move(d.jobs.front());
    d.jobs.pop_front();
    if (job.message->deleted) {
      for (size_t i : job.indexes) job.message->recipients[i].in_flight = false;
      continue;
    }
    auto path = spool.incoming_dir() / job.message->envelope.id;
    const uint64_t memory_bytes = message_memory_bytes;
    auto content = co_await util::run_blocking(
        blocking, [path, memory_bytes] { return open_spooled_message(path, memory_bytes); });
    if (!content) {
      for (size_t i : job.indexes)
        deferred(job.message, i, "4.3.0 cannot read the spool file: " + content.error().message,
                 "");
      continue;
    }
    delivery::Transaction transaction;
    transaction.mail_from = outgoing_sender(*job.message);
    for (size_t i : job.indexes)
      transaction.recipients.push_back(job.message->recipients[i].address);
    transaction.message = content->message;
    SpoolFileReader reader(*content, blocking);  // a large message: read while it is sent
    if (content->in_file()) transaction.reader = &reader;
    transaction.eight_bit = job.message->envelope.body == mail::BodyType::k8BitMime;
    transaction.smtputf8 = job.message->envelope.smtputf8;
    delivery::TransactionResult result = co_await connection->send(transaction);
    if (result.connection_lost && !result.mail_reply && sent > 0) {
      // A reused connection that the server closed while it sat idle: nothing was tried,
      // so this costs no attempt; the job goes back first in line for a fresh connection.
      spdlog::info("event=stale_connection destination={} relay={}", key, remote);
      destinations[key].jobs.push_front(std::move(job));
      break;
    }
    ++sent;
    record_replies(job, result, remote);
  }
  if (connection->usable()) co_await connection->quit();
}

}  // namespace pw::queue
