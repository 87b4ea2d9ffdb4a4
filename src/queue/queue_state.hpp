// The queue's state, shared by its parts (issue 16 item 4): queue_schedule (destinations and
// retries), queue_worker (delivery), queue_outcomes (what happened to each recipient), queue_dsn
// (reports to the sender) and queue_recovery (the spool and journal read back at start).
// Internal to queue/: queue_manager.hpp is the module's interface. State lives on the queue's
// loop; only routes (routes_mutex) and the counters are touched from other threads.
#pragma once
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "batv/batv_snapshot.hpp"
#include "delivery/client_session.hpp"
#include "net/dns_resolver.hpp"
#include "net/mx_address_rules.hpp"
#include "net/mx_route.hpp"
#include "queue/dsn.hpp"
#include "queue/outcome_journal.hpp"
#include "queue/queue_manager.hpp"
#include "store/log_writer.hpp"
#include "store/message_log.hpp"
#include "store/statement.hpp"

namespace pw::queue {

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

inline int64_t now_s() { return store::unix_now(); }

// Reads a spool file: the envelope line and the message bytes (queue_recovery.cpp).
struct SpoolContent {
  Envelope envelope;
  std::string message;
};
Result<SpoolContent> read_spool_file(const std::filesystem::path& path, bool with_message);
// The message log's record of a spooled message.
store::ReceivedMessage received_record(const Envelope& envelope, std::string message_id,
                                       std::string subject, bool is_bounce);

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
        message_memory_bytes(d.message_memory_bytes == 0 ? UINT64_MAX : d.message_memory_bytes),
        queued(queued),
        retry_timer(d.loop),
        random(std::random_device{}()) {}

  // ---- queue_schedule.cpp
  // F-BATV: the envelope sender as written in MAIL FROM, tagged now (so a retry days later
  // carries a fresh tag) when its domain has batv on. Bounces and DSNs (the null sender) never;
  // the spool and the log keep the original address.
  std::string outgoing_sender(const Message& message);
  std::string destination_key(const std::string& domain, std::string& fixed_route);
  void add(const std::shared_ptr<Message>& message);
  // Logs a spooled message and queues it (on the loop).
  void ingest(const Envelope& envelope, std::string message_id, std::string subject,
              bool is_bounce);
  std::shared_ptr<Message> make_message(const Envelope& envelope, bool is_bounce);
  // Queues every due recipient of `message` to its destination.
  void schedule(const std::shared_ptr<Message>& message);
  void add_retry(int64_t when, const std::string& id);
  void arm_retry_timer();
  void run_due_retries();
  void dispatch(const std::string& key);
  void worker_finished(const std::string& key);

  // ---- queue_outcomes.cpp
  void record(const std::shared_ptr<Message>& message, size_t index, std::string event);
  // The journal has it at once; a full journal file goes once the log has committed everything
  // submitted before it (the writer commits in order).
  void journal_outcome(const store::RecipientUpdate& update);
  void settle(const std::shared_ptr<Message>& message);
  // The administrator deleted the message while this recipient was being delivered: the log
  // already says deleted (so a restart does not deliver it); only a delivery that did happen
  // is still recorded, because it is the truth.
  bool outcome_after_delete(const std::shared_ptr<Message>& message, size_t index,
                            bool was_delivered, const std::string& reply,
                            const std::string& remote);
  void delivered(const std::shared_ptr<Message>& message, size_t index, const std::string& reply,
                 const std::string& remote);
  void bounced(const std::shared_ptr<Message>& message, size_t index, const std::string& reply,
               const std::string& remote);
  void deferred(const std::shared_ptr<Message>& message, size_t index, const std::string& reply,
                const std::string& remote);
  void remove_spool_file(const std::string& id, std::filesystem::path path, std::string event);

  // ---- queue_dsn.cpp
  // Every recipient is final: DSN for the failures, then the spool file goes (after the log
  // has committed the final states, so a crash in between delivers again rather than loses).
  void finish_message(const std::shared_ptr<Message>& message);
  void send_dsn(std::shared_ptr<Message> message, std::vector<FailedRecipient> failed,
                std::filesystem::path path);

  // ---- queue_worker.cpp
  awaitable<net::RouteResult> resolve(const Destination& d);
  // Fails the queued jobs of a destination that cannot be reached now.
  void fail_queued_jobs(Destination& d, bool permanent, const std::string& reason,
                        const std::string& remote);
  // Waits until a job arrives for `key` or the reuse time passes; true when one is there.
  awaitable<bool> wait_for_job(const std::string& key);
  awaitable<std::unique_ptr<delivery::SmtpClientConnection>> connect_to(
      const std::vector<net::RouteTarget>& targets, const std::string& key, std::string& remote);
  void record_replies(const Job& job, const delivery::TransactionResult& result,
                      const std::string& remote);
  awaitable<void> worker(std::string key);

  asio::io_context& loop;
  asio::thread_pool& blocking;
  Spool& spool;
  store::LogWriter& log;
  std::string hostname;
  config::DeliveryConfig config;
  std::function<void(const Envelope&, const std::string&)> on_permanent_failure;
  std::vector<std::string> own_listeners;
  uint64_t message_memory_bytes;  // larger messages are sent from their file (spool_reader)
  net::MxAddressRules mx_rules;   // which MX addresses may be used (made by start())
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
};

}  // namespace pw::queue
