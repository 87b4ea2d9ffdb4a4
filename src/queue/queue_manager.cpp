// The queue manager: scheduling, delivery connections, retries, expiry, DSNs.
// All state lives on the queue's own event loop; other threads only post to it.
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
#include "store/log_writer.hpp"
#include "store/message_log.hpp"
#include "store/statement.hpp"
#include "util/blocking.hpp"

namespace pw::queue {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using store::DeliveryStatus;

struct Recipient {
  std::string address;
  std::string domain;
  DeliveryStatus status = DeliveryStatus::kQueued;
  int64_t attempts = 0;
  int64_t next_attempt = 0;
  bool in_flight = false;
  std::string last_reply;
  std::string remote;
};

struct Message {
  Envelope envelope;
  std::vector<Recipient> recipients;
  bool is_bounce = false;
  bool deleted = false;
  size_t pending = 0;  // recipients not final
};

struct Job {
  std::shared_ptr<Message> message;
  std::vector<size_t> indexes;  // recipients of this destination
};

struct Destination {
  std::string key;
  std::string domain;       // for MX routes
  std::string fixed_route;  // "host:port" for relay and per-domain routes
  std::deque<Job> jobs;
  int active = 0;  // connections (workers)
  // Timers of workers waiting on an open connection for a job; cancelling one wakes it.
  std::deque<std::weak_ptr<asio::steady_timer>> idle;
};

int64_t now_s() { return store::unix_now(); }

// Reads a spool file: the envelope line and the message bytes.
struct SpoolContent {
  Envelope envelope;
  std::string message;
};

Result<SpoolContent> read_spool_file(const std::filesystem::path& path, bool with_message) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot open " + path.string());
  std::string first;
  std::getline(in, first);
  auto envelope = Envelope::from_json_line(first);
  if (!envelope) return fail(path.string() + ": " + envelope.error().message);
  SpoolContent content{std::move(*envelope), {}};
  if (with_message) {
    content.message.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return content;
}

// The message log's record of a spooled message.
store::ReceivedMessage received_record(const Envelope& envelope, std::string message_id,
                                       std::string subject, bool is_bounce) {
  store::ReceivedMessage received;
  received.id = envelope.id;
  received.received_at = envelope.received_at;
  received.client_ip = envelope.client_ip;
  received.helo = envelope.helo;
  received.tls = envelope.tls;
  received.auth_user = envelope.auth_user;
  received.sender_kind = envelope.sender_kind;
  received.sender = envelope.sender;
  received.user_domain = envelope.domain;
  received.mail_from = envelope.mail_from;
  received.size = envelope.size;
  received.message_id = std::move(message_id);
  received.subject = std::move(subject);
  received.is_bounce = is_bounce;
  received.recipients = envelope.rcpt_to;
  received.identity = envelope.identity;
  return received;
}

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

struct QueueManager::State : std::enable_shared_from_this<QueueManager::State> {
  State(Dependencies d, std::atomic<size_t>& queued)
      : loop(d.loop),
        blocking(d.blocking),
        spool(d.spool),
        log(d.log),
        hostname(std::move(d.hostname)),
        config(std::move(d.config)),
        on_permanent_failure(std::move(d.on_permanent_failure)),
        own_listeners(std::move(d.own_listeners)),
        queued(queued),
        retry_timer(d.loop),
        random(std::random_device{}()) {}

  asio::io_context& loop;
  asio::thread_pool& blocking;
  Spool& spool;
  store::LogWriter& log;
  std::string hostname;
  config::DeliveryConfig config;
  std::function<void(const Envelope&, const std::string&)> on_permanent_failure;
  std::vector<std::string> own_listeners;
  net::MxAddressRules mx_rules;  // which MX addresses may be used (made by start())
  std::atomic<size_t>& queued;

  std::shared_ptr<net::DnsResolver> resolver;
  delivery::ClientOptions client_options;
  asio::steady_timer retry_timer;
  std::mt19937 random;
  bool stopping = false;
  int total_connections = 0;

  std::unordered_map<std::string, std::shared_ptr<Message>> messages;
  std::unordered_map<std::string, Destination> destinations;
  std::multimap<int64_t, std::string> retries;  // next attempt -> message id
  std::mutex routes_mutex;
  std::map<std::string, std::string> routes;
  // F-BATV: the keys and domains whose envelope senders are tagged (null: none).
  std::shared_ptr<const batv::BatvSnapshot> batv;
  // Final outcomes, written before the log commits them (opened by recover()).
  std::optional<OutcomeJournal> journal;

  // F-BATV: the envelope sender as written in MAIL FROM, tagged now (so a retry days later
  // carries a fresh tag) when its domain has batv on. Bounces and DSNs (the null sender) never;
  // the spool and the log keep the original address.
  std::string outgoing_sender(const Message& message) {
    const auto& envelope = message.envelope;
    if (message.is_bounce || envelope.mail_from.empty() || envelope.sender_kind == "dsn")
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
  std::string destination_key(const std::string& domain, std::string& fixed_route) {
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

  void add(std::shared_ptr<Message> message) {
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

  // Queues every due recipient of `message` to its destination.
  void schedule(const std::shared_ptr<Message>& message) {
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

  void add_retry(int64_t when, const std::string& id) {
    bool earliest = retries.empty() || when < retries.begin()->first;
    retries.emplace(when, id);
    if (earliest) arm_retry_timer();
  }

  void arm_retry_timer() {
    if (retries.empty() || stopping) return;
    auto delay = std::chrono::seconds(std::max<int64_t>(0, retries.begin()->first - now_s()));
    retry_timer.expires_after(delay);
    retry_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      self->run_due_retries();
    });
  }

  void run_due_retries() {
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

  void dispatch(const std::string& key) {
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
      asio::co_spawn(loop, worker(key), [self = shared_from_this(), key](std::exception_ptr e) {
        if (e) {
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            spdlog::error("event=delivery_worker_error destination={} error=\"{}\"", key,
                          ex.what());
          }
        }
        self->worker_finished(key);
      });
    }
  }

  void worker_finished(const std::string& key) {
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

  // ---- outcomes -----------------------------------------------------------------------------
  void record(const std::shared_ptr<Message>& message, size_t index, std::string event) {
    const auto& r = message->recipients[index];
    store::RecipientUpdate update{message->envelope.id, r.address,    r.status, r.attempts,
                                  r.next_attempt,       r.last_reply, r.remote, std::move(event)};
    if (journal && store::is_final(update.status)) journal_outcome(update);
    log.submit([update](store::MessageLog& l) { return l.record_recipient(update); });
  }

  // The journal has it at once; a full journal file goes once the log has committed everything
  // submitted before it (the writer commits in order).
  void journal_outcome(const store::RecipientUpdate& update) {
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

  void settle(const std::shared_ptr<Message>& message) {
    if (message->pending > 0) --message->pending;
    if (message->pending == 0) finish_message(message);
  }

  // The administrator deleted the message while this recipient was being delivered: the log
  // already says deleted (so a restart does not deliver it); only a delivery that did happen
  // is still recorded, because it is the truth.
  bool outcome_after_delete(const std::shared_ptr<Message>& message, size_t index,
                            bool was_delivered, const std::string& reply,
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

  void delivered(const std::shared_ptr<Message>& message, size_t index, const std::string& reply,
                 const std::string& remote) {
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

  void bounced(const std::shared_ptr<Message>& message, size_t index, const std::string& reply,
               const std::string& remote) {
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
    spdlog::info("event=bounced id={} to=<{}> relay={} reply=\"{}\"", message->envelope.id,
                 r.address, remote.empty() ? "none" : remote, reply);
    record(message, index, "bounced");
    settle(message);
  }

  void deferred(const std::shared_ptr<Message>& message, size_t index, const std::string& reply,
                const std::string& remote) {
    if (outcome_after_delete(message, index, false, reply, remote)) return;
    auto& r = message->recipients[index];
    r.in_flight = false;
    ++r.attempts;
    r.last_reply = reply;
    r.remote = remote;
    const int64_t now = now_s();
    if (now - message->envelope.received_at >= config.max_queue_lifetime_s) {
      r.status = DeliveryStatus::kExpired;
      r.last_reply = "message expired after " +
                     std::to_string(now - message->envelope.received_at) +
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

  // Every recipient is final: DSN for the failures, then the spool file goes (after the log
  // has committed the final states, so a crash in between delivers again rather than loses).
  void finish_message(const std::shared_ptr<Message>& message) {
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

  void remove_spool_file(const std::string& id, std::filesystem::path path, std::string event) {
    log.submit([id, event](store::MessageLog& l) { return l.record_event(id, "", event, "", ""); },
               [path] {
                 std::error_code ignored;
                 std::filesystem::remove(path, ignored);
               });
  }

  void send_dsn(std::shared_ptr<Message> message, std::vector<FailedRecipient> failed,
                std::filesystem::path path) {
    auto self = shared_from_this();
    asio::post(blocking, [self, message, failed = std::move(failed), path]() mutable {
      auto original = read_spool_file(path, true);
      std::string headers = original ? std::string(mail::header_section(original->message)) : "";
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
      envelope.sender_kind = "dsn";
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
        spdlog::info("event=dsn id={} original={} to=<{}> size={}", envelope.id,
                     message->envelope.id, message->envelope.mail_from, dsn_size);
        self->ingest(envelope, "", "Undelivered Mail Returned to Sender", true);
        self->log.submit([id = message->envelope.id, dsn_id = envelope.id](store::MessageLog& l) {
          return l.record_event(id, "", "dsn_sent", "", "DSN " + dsn_id);
        });
        self->remove_spool_file(message->envelope.id, path, "completed");
      });
    });
  }

  // Logs a spooled message and queues it (on the loop).
  void ingest(const Envelope& envelope, std::string message_id, std::string subject,
              bool is_bounce) {
    auto received = received_record(envelope, std::move(message_id), std::move(subject), is_bounce);
    log.submit([received = std::move(received)](store::MessageLog& l) {
      return l.record_received(received);
    });
    add(make_message(envelope, is_bounce));
  }

  std::shared_ptr<Message> make_message(const Envelope& envelope, bool is_bounce) {
    auto message = std::make_shared<Message>();
    message->envelope = envelope;
    message->is_bounce = is_bounce || (envelope.mail_from.empty() && envelope.sender_kind == "dsn");
    for (const auto& rcpt : envelope.rcpt_to) {
      Recipient r;
      r.address = rcpt;
      r.domain = store::address_domain(rcpt);
      message->recipients.push_back(std::move(r));
    }
    return message;
  }

  // ---- delivery -----------------------------------------------------------------------------
  awaitable<net::RouteResult> resolve(const Destination& d) {
    if (!d.fixed_route.empty())
      co_return co_await net::resolve_fixed_route(*resolver, d.fixed_route);
    auto route = co_await net::resolve_mail_route(*resolver, d.domain,
                                                  static_cast<uint16_t>(config.smtp_port), random);
    if (!route) co_return route;
    co_return net::screen_mx_targets(std::move(*route), mx_rules, d.domain);
  }

  // Fails the queued jobs of a destination that cannot be reached now.
  void fail_queued_jobs(Destination& d, bool permanent, const std::string& reason,
                        const std::string& remote) {
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
  awaitable<bool> wait_for_job(const std::string& key) {
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

  awaitable<void> worker(std::string key) {
    auto self = shared_from_this();
    net::RouteResult route = co_await resolve(destinations[key]);
    if (!route) {
      auto& d = destinations[key];
      if (d.active == 1)
        fail_queued_jobs(d, route.error().permanent, route_failure_reply(route.error()), "");
      co_return;
    }
    std::unique_ptr<delivery::SmtpClientConnection> connection;
    std::string remote;
    std::vector<std::string> errors;
    bool permanent = false;
    for (const auto& target : *route) {
      if (stopping) co_return;
      asio::ip::tcp::endpoint endpoint(target.address, target.port);
      auto connected = co_await delivery::SmtpClientConnection::connect(
          loop.get_executor(), endpoint, target.host, client_options);
      if (connected) {
        connection = std::move(*connected);
        remote = fmt::format("{}[{}]:{}", target.host, target.address.to_string(), target.port);
        break;
      }
      errors.push_back(connected.error().reason);
      if (connected.error().permanent) {
        permanent = true;
        break;
      }
    }
    if (!connection) {
      auto& d = destinations[key];
      std::string reason = (permanent ? "5.4.0 " : "4.4.1 ") +
                           (errors.empty() ? "no host to connect to" : errors.back());
      if (d.active == 1 || permanent) fail_queued_jobs(d, permanent, reason, "");
      co_return;
    }

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
      auto content =
          co_await util::run_blocking(blocking, [path] { return read_spool_file(path, true); });
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
      transaction.eight_bit = job.message->envelope.body == "8BITMIME";
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
    if (connection->usable()) co_await connection->quit();
  }
};

QueueManager::QueueManager(Dependencies dependencies)
    : state_(std::make_shared<State>(std::move(dependencies), queued_)) {}

QueueManager::~QueueManager() = default;

bool QueueManager::accepting() const {
  return queued_.load() < static_cast<size_t>(state_->config.max_queued_messages);
}

// Outcomes of the journal that the log had not committed when the last run ended are written
// to the log now, so nothing the last run delivered is delivered again. A message whose arrival
// the log had not committed either is logged from its spool file first.
Result<size_t> replay_journal(const Spool& spool, store::MessageLog& log) {
  auto outcomes = OutcomeJournal::read_all(spool.journal_dir());
  std::unordered_map<std::string, std::vector<store::RecipientUpdate>> by_message;
  std::vector<std::string> order;
  for (auto& u : outcomes) {
    if (!store::is_final(u.status)) continue;
    auto [it, inserted] = by_message.try_emplace(u.message_id);
    if (inserted) order.push_back(u.message_id);
    it->second.push_back(std::move(u));
  }
  size_t applied = 0;
  auto replayed = log.database().transaction([&]() -> Result<void> {
    for (const auto& id : order) {
      auto row = log.find(id);
      if (!row) return tl::unexpected(row.error());
      if (!*row) {
        auto content = read_spool_file(spool.incoming_dir() / id, true);
        if (!content) continue;  // neither logged nor spooled: nothing is owed for it
        auto summary = mail::summarize_headers(content->message);
        bool is_bounce =
            content->envelope.mail_from.empty() && content->envelope.sender_kind == "dsn";
        auto received =
            received_record(content->envelope, summary.message_id, summary.subject, is_bounce);
        if (auto r = log.record_received(received); !r) return r;
        row = log.find(id);
        if (!row) return tl::unexpected(row.error());
        if (!*row) continue;
      }
      for (const auto& u : by_message[id]) {
        auto current = std::find_if((*row)->recipients.begin(), (*row)->recipients.end(),
                                    [&](const auto& r) { return r.rcpt == u.rcpt; });
        if (current == (*row)->recipients.end() || store::is_final(current->status)) continue;
        if (auto r = log.record_recipient(u); !r) return r;
        ++applied;
      }
    }
    return {};
  });
  if (!replayed) return tl::unexpected(replayed.error());
  return applied;
}

Result<size_t> QueueManager::recover(store::MessageLog& log) {
  auto& s = *state_;
  auto journal_files = OutcomeJournal::files(s.spool.journal_dir());
  auto replayed = replay_journal(s.spool, log);
  if (!replayed) return tl::unexpected(replayed.error());
  std::error_code removed;
  for (const auto& path : journal_files) std::filesystem::remove(path, removed);
  auto journal = OutcomeJournal::open(s.spool.journal_dir(), s.config.journal_rotate_bytes);
  if (!journal) return tl::unexpected(journal.error());
  s.journal.emplace(std::move(*journal));
  if (*replayed > 0)
    spdlog::info("event=journal_replayed outcomes={} files={}", *replayed, journal_files.size());
  auto pending = log.pending();
  if (!pending) return tl::unexpected(pending.error());
  std::unordered_map<std::string, store::MessageRow> by_id;
  for (auto& row : *pending) by_id.emplace(row.id, std::move(row));

  std::error_code ec;
  size_t restored = 0, ingested = 0, finished = 0, broken = 0;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(s.spool.incoming_dir(), ec))
    files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    std::string id = path.filename().string();
    auto it = by_id.find(id);
    if (it == by_id.end()) {
      auto known = log.known(id);
      if (known && *known) {
        // Its recipients were all final before a crash. If its end was recorded (the DSN, when
        // one was owed, is in the spool too), only the file's removal was lost: remove it now.
        // Otherwise finish it again, so a DSN owed for a bounce is never lost.
        auto events = log.events(id);
        bool ended = events && std::any_of(events->begin(), events->end(), [](const auto& e) {
                       return e.event == "completed" || e.event == "dsn_sent";
                     });
        auto row = ended ? Result<std::optional<store::MessageRow>>() : log.find(id);
        if (ended || !row || !*row) {
          std::filesystem::remove(path, ec);
          ++finished;
          continue;
        }
        it = by_id.emplace(id, std::move(**row)).first;
      }
    }
    auto content = read_spool_file(path, it == by_id.end());
    if (!content) {
      obs::metrics().count(obs::Outcome::kSpoolUnreadable);
      spdlog::error("event=spool_unreadable file={} error=\"{}\"", path.string(),
                    content.error().message);
      ++broken;
      continue;
    }
    if (it == by_id.end()) {
      auto summary = mail::summarize_headers(content->message);
      bool is_bounce = content->envelope.sender_kind == "dsn";
      asio::post(s.loop, [state = state_, envelope = content->envelope, summary, is_bounce] {
        state->ingest(envelope, summary.message_id, summary.subject, is_bounce);
      });
      ++ingested;
      continue;
    }
    auto message = s.make_message(content->envelope, it->second.is_bounce);
    for (auto& r : message->recipients) {
      for (const auto& row : it->second.recipients) {
        if (row.rcpt != r.address) continue;
        r.status = row.status;
        r.attempts = row.attempts;
        r.next_attempt = row.next_attempt_at;
        r.last_reply = row.last_reply;
        r.remote = row.remote_host;
      }
    }
    asio::post(s.loop, [state = state_, message] { state->add(message); });
    by_id.erase(it);
    ++restored;
  }
  // Log entries whose spool file is gone cannot be delivered: say so in the log.
  for (auto& [id, row] : by_id) {
    for (const auto& r : row.recipients) {
      if (store::is_final(r.status)) continue;
      store::RecipientUpdate update{
          id, r.rcpt, DeliveryStatus::kDeleted, r.attempts, r.next_attempt_at, "spool file missing",
          "", "lost"};
      s.log.submit([update](store::MessageLog& l) { return l.record_recipient(update); });
    }
    obs::metrics().count(obs::Outcome::kSpoolMissing);
    spdlog::error("event=spool_file_missing id={}", id);
  }
  spdlog::info("event=queue_recovered restored={} new={} finished={} unreadable={} missing={}",
               restored, ingested, finished, broken, by_id.size());
  queued_.store(restored + ingested);
  return restored + ingested;
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
  asio::post(state_->loop, [state = state_, message_id, done] {
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
  asio::post(state_->loop, [state = state_, message_id, done] {
    auto it = state->messages.find(message_id);
    if (it == state->messages.end()) {
      done("no queued message " + message_id);
      return;
    }
    auto message = it->second;
    message->deleted = true;
    for (size_t i = 0; i < message->recipients.size(); ++i) {
      auto& r = message->recipients[i];
      // In-flight recipients too: their delivery may still finish (and is then recorded), but
      // if it does not, nothing brings the message back.
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
