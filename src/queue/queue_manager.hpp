// The queue manager (F-QUEUE, F-DELIVER): holds every message that still has recipients to
// deliver, groups recipients by destination, runs delivery connections with per-destination and
// total limits, reuses idle connections, retries with exponential back-off, expires and bounces
// with a DSN (never for a bounce), and records every outcome in the message log.
// Runs on one event loop of its own; submit(), flush(), remove() and set_routes() are thread-safe.
// SECURITY: talks to remote SMTP servers and DNS servers on the network (through smtp/ and net/).
#pragma once
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "queue/spool.hpp"
#include "util/result.hpp"

namespace boost::asio {
class io_context;
class thread_pool;
}  // namespace boost::asio

namespace pw::store {
class LogWriter;
class MessageLog;
}  // namespace pw::store

namespace pw::batv {
struct BatvSnapshot;
}

namespace pw::queue {

class QueueManager {
 public:
  struct Dependencies {
    boost::asio::io_context& loop;
    boost::asio::thread_pool& blocking;
    Spool& spool;
    store::LogWriter& log;
    std::string hostname;
    config::DeliveryConfig config;
    // Called on the queue's loop when a recipient of an outgoing user's message fails for good
    // (5xx, null MX, a domain that does not exist): F-INVALID-RCPT counts it. May be empty.
    std::function<void(const Envelope&, const std::string& rcpt)> on_permanent_failure;
    // The gateway's own SMTP listeners ("ADDR:PORT"): MX hosts that are one of them loop.
    std::vector<std::string> own_listeners;
    // A message larger than this ([smtp] data_memory_bytes) is sent from its spool file piece
    // by piece instead of read whole (issue 17 item 4); 0: every message is read whole.
    uint64_t message_memory_bytes = 0;
  };

  explicit QueueManager(Dependencies dependencies);
  ~QueueManager();

  // Blocking, before start(): brings back every message of the spool with its recipients'
  // states from the log; files the log does not know are logged as new; files whose recipients
  // are all final are removed. Returns the number of messages queued.
  Result<size_t> recover(store::MessageLog& log);
  // Starts delivering (the resolver and TLS context are made here).
  Result<void> start();
  // Stops starting deliveries; connections finish their current message and close.
  void stop();

  // After the spool has the message: logs it and queues its recipients.
  void submit(const Envelope& envelope, std::string_view message_id, std::string_view subject);
  // False when the queue is full (delivery.max_queued_messages): new mail gets a 452.
  bool accepting() const;
  size_t queued() const { return queued_.load(); }

  // Thread-safe admin actions; `done` is called (on the queue's loop) with a one-line result.
  void flush(std::string message_id, std::function<void(std::string)> done);
  void remove(std::string message_id, std::function<void(std::string)> done);
  // Per-domain delivery routes: lower-case domain (aliases included) -> "host:port".
  void set_routes(std::map<std::string, std::string> routes);
  // F-BATV: tag envelope senders of these domains with these keys from now on (null: none).
  void set_batv(std::shared_ptr<const batv::BatvSnapshot> snapshot);

 private:
  struct State;
  std::shared_ptr<State> state_;
  std::atomic<size_t> queued_{0};
};

}  // namespace pw::queue
