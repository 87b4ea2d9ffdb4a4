// The running node behind `postwarden serve` (issue 16 item 4: serve() taken apart into phases).
// start() brings it up in order — storage, TLS, guards, policy, queue and delivery, resolvers,
// SMTP listeners, HTTPS, maintenance — and run() serves until SIGTERM/SIGINT, then stops in the
// reverse order. Members are declared in the order the phases create them, so that whatever a
// failed start leaves behind is torn down in reverse, as the locals of one function were.
#pragma once
#include <boost/asio.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "app/spam_model_loader.hpp"
#include "app/tls_maintenance.hpp"
#include "config/config.hpp"
#include "http/server.hpp"
#include "net/event_loops.hpp"
#include "net/listener.hpp"
#include "policy/policy_service.hpp"
#include "queue/mail_injector.hpp"
#include "queue/queue_manager.hpp"
#include "smtp/server_context.hpp"
#include "smtp/server_session.hpp"
#include "smtp/verdict_actions.hpp"
#include "store/database.hpp"
#include "store/log_writer.hpp"
#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace pw::app {

class Gateway {
 public:
  // `config` with the command line's listeners already applied; `hostname` the node's name.
  Gateway(config::Config config, std::filesystem::path data_dir, std::string hostname);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Every phase up to listening; the first failure is returned as one line.
  Result<void> start();
  // Serves until a signal, then stops; the exit status of `serve`.
  int run();

 private:
  // ---- gateway.cpp: the phases, in order ------------------------------------------------------
  Result<void> open_storage();     // data dir, lock, database, senders, BATV keys, spool, log
  Result<void> open_tls();         // the certificate (made when self-signed) and its context
  Result<void> start_guards();     // brute-force guard, connection limiter, dummy password hash
  Result<void> start_policy();     // policy service, verdict actions, spam model, DKIM keys
  Result<void> start_queue();      // queue manager and its recovery, on the delivery loop
  Result<void> start_resolvers();  // sender-domain look-ups and the DNS block lists
  Result<void> open_smtp_listeners(const std::vector<std::string>& addresses, bool implicit_tls,
                                   smtp::SessionMode mode);
  Result<void> start_http();  // the REST API, the panel and /metrics
  void stop_after_run();      // what main_context.run() returning leaves to do
  // ---- gateway_maintenance.cpp: timers and signals --------------------------------------------
  bool reload_if_changed();  // the CLI bumped config_generation: load the new snapshots
  void retire_batv_keys();
  void run_queue_commands();  // queue flush/delete left by the CLI
  void schedule_reload();
  void watch_signals();
  void wait_for_sessions();

  // What the delivery loop's end must drop first, on every way out.
  struct DeliveryStop {
    boost::asio::io_context& loop;
    std::thread& thread;
    smtp::ServerContext& context;
    ~DeliveryStop();
  };

  std::filesystem::path data_dir_;
  std::unique_ptr<smtp::ServerContext> ctx_;
  config::Config& config_;
  std::optional<util::UniqueFd> serve_lock_;
  std::optional<store::Database> db_;
  int64_t seen_generation_ = 0;
  size_t senders_ = 0;
  std::shared_ptr<const batv::BatvSnapshot> batv_;
  std::optional<TlsMaintenanceOptions> tls_options_;
  std::unique_ptr<store::LogWriter> log_writer_;
  std::optional<boost::asio::thread_pool> blocking_;
  boost::asio::io_context delivery_context_{1};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
      delivery_guard_;
  std::unique_ptr<policy::PolicyService> policy_;
  std::unique_ptr<smtp::VerdictActions> actions_;
  std::optional<SpamModelLoader> spam_models_;
  std::unique_ptr<queue::QueueManager> queue_;
  std::unique_ptr<queue::MailInjector> injector_;
  std::thread delivery_thread_;
  DeliveryStop delivery_stop_;
  std::unique_ptr<net::EventLoops> loops_;
  size_t loop_count_ = 0;
  boost::asio::io_context main_context_{1};
  std::vector<std::shared_ptr<net::Listener>> listeners_;
  std::shared_ptr<http::HttpServer> http_server_;
  std::set<int64_t> commands_in_flight_;  // touched on the blocking pool, one task at a time
  std::mutex commands_mutex_;
  std::mutex database_mutex_;  // one connection serves the reload timer and AUTH's refresh
  int64_t batv_retire_checked_ = 0;
  std::optional<boost::asio::steady_timer> reload_timer_;
  std::optional<TlsMaintenance> tls_maintenance_;
  std::optional<boost::asio::signal_set> signals_;
  std::optional<boost::asio::steady_timer> shutdown_timer_;
  std::chrono::steady_clock::time_point shutdown_started_;
};

}  // namespace pw::app
