// `postwarden serve`: wires configuration, database, TLS, spool and listeners into a running
// node, reloads senders when the CLI changes them, and shuts down cleanly on SIGTERM.
#include <sodium.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include "api/api_context.hpp"
#include "api/api_dispatch.hpp"
#include "api/api_routes.hpp"
#include "api/metrics_page.hpp"
#include "app/auth_ban_keeper.hpp"
#include "app/cli.hpp"
#include "app/release_signer.hpp"
#include "app/serve_lock.hpp"
#include "app/spam_model_loader.hpp"
#include "app/tls_maintenance.hpp"
#include "auth/password.hpp"
#include "batv/batv_keys.hpp"
#include "batv/batv_snapshot.hpp"
#include "dkim/dkim_config.hpp"
#include "dkim/key_store.hpp"
#include "http/server.hpp"
#include "net/dns_resolver.hpp"
#include "net/dnsbl_client.hpp"
#include "net/event_loops.hpp"
#include "net/listener.hpp"
#include "net/server_tls.hpp"
#include "net/tls_context.hpp"
#include "obs/metrics.hpp"
#include "policy/outbreak_tracker.hpp"
#include "policy/policy_service.hpp"
#include "queue/mail_injector.hpp"
#include "queue/queue_manager.hpp"
#include "scan/clamd_client.hpp"
#include "scan/spam_classifier.hpp"
#include "smtp/server_context.hpp"
#include "smtp/server_session.hpp"
#include "smtp/verdict_actions.hpp"
#include "store/batv_key_repository.hpp"
#include "store/database.hpp"
#include "store/domain_routing.hpp"
#include "store/log_writer.hpp"
#include "store/message_log.hpp"
#include "store/statement.hpp"

namespace pw::app {
namespace {

// True when `domain` has an MX (not a null MX) or an address record; nullopt when DNS gives no
// answer now (time-out, SERVFAIL): the caller answers 4xx rather than guess.
boost::asio::awaitable<std::optional<bool>> domain_resolves(
    std::shared_ptr<net::DnsResolver> resolver, std::string domain) {
  auto mx = co_await resolver->mx(domain);
  if (mx.status == net::DnsStatus::kOk) {
    bool null_mx = mx.records.size() == 1 && mx.records.front().exchange == ".";
    co_return !null_mx && !mx.records.empty();
  }
  if (mx.status == net::DnsStatus::kTempFail) co_return std::nullopt;
  if (mx.status == net::DnsStatus::kNxDomain) co_return false;
  auto addresses = co_await resolver->addresses(domain);
  if (addresses.status == net::DnsStatus::kTempFail) co_return std::nullopt;
  co_return addresses.status == net::DnsStatus::kOk && !addresses.records.empty();
}

namespace asio = boost::asio;
namespace fs = std::filesystem;

struct ServeOptions {
  std::vector<std::string> listen;
  std::vector<std::string> listen_tls;
  std::vector<std::string> listen_inbound;  // F-BATV: the bounce listener; enables it
  std::string relay_host;
  std::string dns;
  std::string http;
};

// Every SMTP listener of this gateway: delivery to one of them would be a mail loop.
std::vector<std::string> own_smtp_listeners(const config::Config& config) {
  std::vector<std::string> all = config.server.listen;
  all.insert(all.end(), config.server.listen_tls.begin(), config.server.listen_tls.end());
  all.insert(all.end(), config.inbound.listen.begin(), config.inbound.listen.end());
  return all;
}

std::string system_hostname() {
  char buffer[256] = {0};
  if (gethostname(buffer, sizeof buffer - 1) != 0 || buffer[0] == '\0') return "localhost";
  return buffer;
}

// A server that wants thousands of sessions needs the soft descriptor limit at the hard one.
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

void configure_logging() {
  auto logger = spdlog::stderr_logger_mt("postwarden");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

int serve(const GlobalOptions& global, const ServeOptions& options) {
  if (global.data_dir.empty()) return report_error("serve needs --data-dir DIR");
  auto loaded = load_node_config(global);
  if (!loaded) return report_error(loaded.error().message);
  auto ctx = std::make_unique<smtp::ServerContext>();
  ctx->config = std::move(*loaded);
  config::Config& config = ctx->config;
  if (!options.listen.empty()) config.server.listen = options.listen;
  if (!options.listen_tls.empty()) config.server.listen_tls = options.listen_tls;
  if (!options.listen_inbound.empty()) {  // F-BATV
    config.inbound.listen = options.listen_inbound;
    config.inbound.enabled = true;
  }
  if (!options.relay_host.empty()) config.delivery.relay_host = options.relay_host;
  if (!options.dns.empty()) config.delivery.dns_servers = {options.dns};
  if (!options.http.empty()) config.http.listen = options.http;  // F-PANEL
  if (config.server.listen.empty() && config.server.listen_tls.empty())
    return report_error("no listener configured");
  ctx->hostname = config.server.hostname.empty() ? system_hostname() : config.server.hostname;

  if (!config.clamd.socket.empty())  // F-AV: a bad address stops the start, not every message
    if (auto address = scan::parse_clamd_address(config.clamd.socket); !address)
      return report_error("[clamd] socket: " + address.error().message);

  configure_logging();
  raise_descriptor_limit();
  if (!config.clamd.socket.empty()) {  // F-AV: say at once whether clamd answers; mail waits
    auto probe = scan::ClamdOptions::from(config.clamd);
    probe.timeout_ms = std::min<int64_t>(probe.timeout_ms, 5000);
    if (auto pong = scan::clamd_ping(probe); pong)
      spdlog::info("event=clamd_ready clamd={}", config.clamd.socket);
    else
      spdlog::warn("event=clamd_unreachable clamd={} on_failure={} error=\"{}\"",
                   config.clamd.socket, config.clamd.on_failure, pong.error().message);
  }
  if (sodium_init() < 0) return report_error("libsodium failed to initialise");

  const fs::path data_dir = global.data_dir;
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) return report_error("cannot create data dir " + data_dir.string() + ": " + ec.message());
  ::chmod(data_dir.c_str(), 0700);
  auto lock = acquire_serve_lock(data_dir.string());
  if (!lock) return report_error(lock.error().message);

  auto db = store::Database::open((data_dir / "postwarden.db").string());
  if (!db) return report_error(db.error().message);
  auto directory = auth::load_sender_directory(*db);
  if (!directory) return report_error(directory.error().message);
  ctx->directory.store(*directory);
  auto generation = db->config_generation();
  if (!generation) return report_error(generation.error().message);
  auto batv_snapshot = batv::load_batv_snapshot(*db, config.batv);  // F-BATV
  if (!batv_snapshot) return report_error(batv_snapshot.error().message);
  ctx->batv.store(*batv_snapshot);

  fs::path cert =
      config.tls.cert_file.empty() ? data_dir / "tls" / "cert.pem" : fs::path(config.tls.cert_file);
  fs::path key =
      config.tls.key_file.empty() ? data_dir / "tls" / "key.pem" : fs::path(config.tls.key_file);
  const TlsMaintenanceOptions tls_options{
      cert,
      key,
      ctx->hostname,
      config.tls.cert_file.empty() || config.tls.key_file.empty(),
      {config.tls.self_signed_days, config.tls.renew_before_days},
      std::chrono::seconds(config.tls.reload_check_s)};
  if (tls_options.self_signed) {
    auto made = net::ensure_self_signed_certificate(cert, key, ctx->hostname, tls_options.policy);
    if (!made) return report_error(made.error().message);
    if (*made) spdlog::info("event=tls_self_signed_made days={}", tls_options.policy.days);
  }
  auto tls = net::ServerTls::load(cert, key);
  if (!tls) return report_error(tls.error().message);
  ctx->tls = *tls;

  auto spool = queue::Spool::open(data_dir / "spool");
  if (!spool) return report_error(spool.error().message);
  ctx->spool = std::make_unique<queue::Spool>(std::move(*spool));

  auto log_writer = store::LogWriter::start((data_dir / "postwarden.db").string(),
                                            {static_cast<size_t>(config.log.batch_size),
                                             std::chrono::milliseconds(config.log.batch_delay_ms)});
  if (!log_writer) return report_error(log_writer.error().message);

  const auto& a = config.auth;
  ctx->guard = std::make_unique<auth::BruteForceGuard>(auth::BruteForceLimits{
      std::chrono::milliseconds(a.failure_delay_ms),
      std::chrono::milliseconds(a.max_failure_delay_ms), a.max_failures,
      std::chrono::seconds(a.failure_window_s), std::chrono::seconds(a.ban_time_s),
      static_cast<size_t>(a.tracked_ips)});
  if (auto bans = load_auth_bans(*db, *ctx->guard, static_cast<size_t>(a.tracked_ips)); !bans)
    return report_error(bans.error().message);
  else if (*bans > 0)
    spdlog::info("event=auth_bans_loaded bans={}", *bans);
  ctx->limiter = std::make_shared<net::ConnectionLimiter>(
      config.server.max_sessions, config.server.max_sessions_per_ip,
      config.server.max_sessions * config.server.reserved_for_known_percent / 100);
  {
    unsigned char random[32];
    randombytes_buf(random, sizeof random);
    auto dummy =
        auth::hash_password(std::string_view(reinterpret_cast<char*>(random), sizeof random),
                            {static_cast<uint64_t>(a.password_hash_ops),
                             static_cast<uint64_t>(a.password_hash_mem_kib)});
    if (!dummy) return report_error(dummy.error().message);
    ctx->dummy_password_hash = *dummy;
  }

  asio::thread_pool blocking(static_cast<size_t>(config.server.blocking_threads));
  ctx->blocking = &blocking;

  // Delivery runs on an event loop of its own, beside the session loops.
  asio::io_context delivery_context(1);
  auto delivery_guard = asio::make_work_guard(delivery_context);
  // The policy engine: users' settings, counters, locks (issue 4).
  auto policy_service = policy::PolicyService::open(
      {data_dir, ctx->hostname, config.policy.abuse_contact, config.policy.notify_admin_on_lock,
       config.nrd.max_age_hours * 3600, static_cast<size_t>(config.policy.lock_message_ids),
       static_cast<size_t>(config.policy.lock_evidence_subjects)},
      **log_writer);
  if (!policy_service) return report_error(policy_service.error().message);
  auto* policy = policy_service->get();
  if (auto r = policy->reload(*db); !r) return report_error(r.error().message);
  ctx->policy = policy;
  // Quarantine, ARF reports and the archive: what the verdicts call for.
  auto verdict_actions = smtp::VerdictActions::open(
      {data_dir, ctx->hostname, static_cast<size_t>(config.policy.arf_max_attached_bytes)},
      *policy);
  if (!verdict_actions) return report_error(verdict_actions.error().message);
  auto* actions = verdict_actions->get();
  ctx->actions = actions;
  ctx->outbreaks =
      std::make_shared<policy::OutbreakTracker>(static_cast<size_t>(config.fuzzy.max_tracked));
  SpamModelLoader spam_models(config, data_dir);  // F-SPAM, with the admin's decisions
  ctx->spam_classifier.store(spam_models.refresh(*db));
  if (config.dkim.enabled) {  // F-DKIM
    ctx->dkim_keys =
        std::make_shared<dkim::KeyCache>(dkim::KeyStore(dkim::KeyStore::default_dir(data_dir)));
    ctx->dkim_options =
        std::make_shared<const dkim::SignerOptions>(dkim::signer_options(config.dkim));
    actions->set_release_signer(make_release_signer([policy] { return policy->snapshot(); },
                                                    ctx->dkim_keys, ctx->dkim_options));
  }

  queue::QueueManager queue_manager(
      {delivery_context, blocking, *ctx->spool, **log_writer, ctx->hostname, config.delivery,
       [policy](const mail::Envelope& envelope, const std::string&) {
         if (envelope.sender_kind == "ip" || envelope.sender_kind == "user" ||
             envelope.sender_kind == "domain")
           policy->count_delivery_failure(envelope.sender);
       },
       own_smtp_listeners(config)});
  queue::MailInjector injector(*ctx->spool, queue_manager, ctx->hostname);
  policy->set_outbox(&injector);
  {
    auto routes = store::DomainRouting(*db).routes();
    if (!routes) return report_error(routes.error().message);
    queue_manager.set_routes(std::move(*routes));
    queue_manager.set_batv(*batv_snapshot);
    if (auto r = queue_manager.start(); !r) return report_error(r.error().message);
  }
  // Delivery starts while the queue is still being read back: the first messages recovered
  // go out at once instead of after the whole spool has been read.
  std::thread delivery_thread([&delivery_context] { delivery_context.run(); });
  {
    store::MessageLog recovery_log(*db);
    auto recovered = queue_manager.recover(recovery_log);
    if (!recovered) {
      delivery_context.stop();
      delivery_thread.join();
      return report_error(recovered.error().message);
    }
  }
  ctx->queue = &queue_manager;
  // On every way out from here (a listener that cannot bind included): stop the delivery loop,
  // join its thread, and drop what lives on that loop before the loop itself goes.
  struct DeliveryStop {
    asio::io_context& loop;
    std::thread& thread;
    smtp::ServerContext& context;
    ~DeliveryStop() {
      loop.stop();
      if (thread.joinable()) thread.join();
      context.domain_resolves = nullptr;
      context.ip_reputation = nullptr;
    }
  } delivery_stop{delivery_context, delivery_thread, *ctx};
  // valid_sender_required: a resolver on the delivery loop, awaited from the session loops.
  {
    auto resolver = net::DnsResolver::create(delivery_context.get_executor(),
                                             net::DnsOptions::from(config.delivery));
    if (!resolver) return report_error(resolver.error().message);
    ctx->domain_resolves = [resolver = *resolver, &delivery_context](std::string domain) {
      return asio::co_spawn(delivery_context, domain_resolves(resolver, std::move(domain)),
                            asio::use_awaitable);
    };
  }
  // F-IPREP: the block lists, asked on the delivery loop by a resolver of their own (its cache
  // off: the DNSBL client keeps answers by their TTL itself).
  if (!config.ip_reputation.zones.empty()) {
    const auto& r = config.ip_reputation;
    auto dnsbl = net::DnsblOptions::from(r);
    if (!dnsbl) return report_error(dnsbl.error().message);
    auto options = net::DnsOptions::from(config.delivery);
    options.timeout = std::chrono::milliseconds(r.timeout_ms);
    options.tries = 1;
    options.cache_entries = 0;
    auto resolver = net::DnsResolver::create(delivery_context.get_executor(), options);
    if (!resolver) return report_error(resolver.error().message);
    auto client = std::make_shared<net::DnsblClient>(*resolver, std::move(*dnsbl));
    ctx->ip_reputation = [client, &delivery_context](std::string ip) {
      return asio::co_spawn(delivery_context, client->lookup(std::move(ip)), asio::use_awaitable);
    };
  }
  size_t loop_count = config.server.event_loops > 0
                          ? static_cast<size_t>(config.server.event_loops)
                          : std::max(1u, std::thread::hardware_concurrency());
  net::EventLoops loops(loop_count);
  asio::io_context main_context(1);

  std::vector<std::shared_ptr<net::Listener>> listeners;
  auto open_listeners = [&](const std::vector<std::string>& addresses, bool implicit_tls,
                            smtp::SessionMode mode =
                                smtp::SessionMode::kSubmission) -> Result<void> {
    for (const auto& address : addresses) {
      auto listener = net::Listener::bind(main_context, address);
      if (!listener) return tl::unexpected(listener.error());
      auto* context = ctx.get();
      (*listener)->start(loops, [context, implicit_tls, mode](asio::ip::tcp::socket socket) {
        std::string ip = net::client_ip_of(socket);
        if (ip.empty() || context->stopping) return;
        if (context->guard->is_banned(ip)) {
          obs::metrics().count(obs::Outcome::kConnectionAuthBan);
          spdlog::info("event=refused reason=auth_ban client={}", ip);
          return smtp::refuse_connection(*context, std::move(socket), implicit_tls,
                                         "421 4.7.0 Too many failed authentication attempts from "
                                         "this IP address; try again later");
        }
        net::ConnectionLimiter::Slot slot;
        const auto refusal =
            context->limiter->try_acquire(ip, slot, smtp::known_client(*context, ip));
        switch (refusal) {
          case net::ConnectionLimiter::Refusal::kUnknownShare:
          case net::ConnectionLimiter::Refusal::kTotal:
            // The same words for both: a client is not told that it counts as unknown.
            obs::metrics().count(refusal == net::ConnectionLimiter::Refusal::kTotal
                                     ? obs::Outcome::kConnectionMaxSessions
                                     : obs::Outcome::kConnectionReservedForKnown);
            spdlog::info("event=refused reason={} client={}",
                         refusal == net::ConnectionLimiter::Refusal::kTotal ? "max_sessions"
                                                                            : "reserved_for_known",
                         ip);
            return smtp::refuse_connection(
                *context, std::move(socket), implicit_tls,
                "421 4.3.2 Too many connections; please try again later");
          case net::ConnectionLimiter::Refusal::kPerIp:
            obs::metrics().count(obs::Outcome::kConnectionPerIp);
            spdlog::info("event=refused reason=max_sessions_per_ip client={}", ip);
            // The exact text of seed 001 (F-CONC); clients and admins match on it.
            return smtp::refuse_connection(*context, std::move(socket), implicit_tls,
                                           "421 Too many concurrent SMTP connections from this IP "
                                           "address; please try again later.");
          case net::ConnectionLimiter::Refusal::kNone:
            break;
        }
        smtp::start_session(*context, std::move(socket), implicit_tls, std::move(slot), mode);
      });
      spdlog::info("event=listening address={} tls={}{}", address,
                   implicit_tls ? "implicit" : "starttls",
                   mode == smtp::SessionMode::kInbound ? " mode=inbound" : "");
      listeners.push_back(*listener);
    }
    return {};
  };
  if (auto r = open_listeners(config.server.listen, false); !r)
    return report_error(r.error().message);
  if (auto r = open_listeners(config.server.listen_tls, true); !r)
    return report_error(r.error().message);
  if (config.inbound.enabled)  // F-BATV: the bounce listener
    if (auto r = open_listeners(config.inbound.listen, false, smtp::SessionMode::kInbound); !r)
      return report_error(r.error().message);
  // F-PANEL: the REST API, the panel and /metrics over HTTPS with the same certificate.
  std::shared_ptr<http::HttpServer> http_server;
  if (!config.http.listen.empty()) {
    auto api_context = std::make_shared<api::ApiContext>(data_dir.string(), config);
    api_context->queue = &queue_manager;
    api_context->server = ctx.get();
    auto routes = std::make_shared<const api::RouteTable>(api::all_routes());
    http::HttpHandlers handlers{
        [api_context, routes](const std::string& raw_path, http::Request request) {
          return api::dispatch_api(*routes, *api_context, raw_path, std::move(request));
        },
        [api_context] { return api::render_metrics_page(*api_context); }};
    auto made = http::HttpServer::create(config.http, std::move(handlers), ctx->tls, blocking);
    if (!made) return report_error(made.error().message);
    http_server = *made;
    auto listener = net::Listener::bind(main_context, config.http.listen);
    if (!listener) return report_error(listener.error().message);
    (*listener)->start(loops, [server = http_server](asio::ip::tcp::socket socket) {
      server->accept(std::move(socket));
    });
    spdlog::info("event=listening address={} protocol=https web_root={}", config.http.listen,
                 http::web_root_of(config.http.web_root).string());
    listeners.push_back(*listener);
  }

  auto* database = &*db;
  // Queue commands left by the CLI (queue flush/delete) while we run.
  std::set<int64_t> commands_in_flight;  // touched only on the blocking pool, one task at a time
  std::mutex commands_mutex;
  auto* writer = log_writer->get();
  auto run_queue_commands = [&] {
    auto commands = store::MessageLog(*database).open_commands();
    if (!commands) return;
    for (const auto& command : *commands) {
      {
        std::lock_guard lock(commands_mutex);
        if (!commands_in_flight.insert(command.id).second) continue;
      }
      auto done = [writer, id = command.id, &commands_in_flight,
                   &commands_mutex](std::string result) {
        spdlog::info("event=queue_command id={} result=\"{}\"", id, result);
        writer->submit(
            [id, result](store::MessageLog& l) { return l.complete_command(id, result); },
            [id, &commands_in_flight, &commands_mutex] {
              std::lock_guard lock(commands_mutex);
              commands_in_flight.erase(id);
            });
      };
      if (command.command == "flush")
        queue_manager.flush(command.message_id, done);
      else
        queue_manager.remove(command.message_id, done);
    }
  };

  // Sender reload: the CLI bumps config_generation; a changed value loads a new snapshot.
  // One database connection serves the reload timer and AUTH's refresh: one user at a time.
  asio::steady_timer reload_timer(main_context);
  int64_t seen_generation = *generation;
  std::mutex database_mutex;
  auto reload_if_changed = [&]() -> bool {
    std::lock_guard lock(database_mutex);
    auto current = database->config_generation();
    if (!current || *current == seen_generation) return false;
    auto fresh = auth::load_sender_directory(*database);
    if (!fresh) {
      spdlog::error("event=reload_failed error=\"{}\"", fresh.error().message);
      return false;
    }
    if (auto routes = store::DomainRouting(*database).routes())
      queue_manager.set_routes(std::move(*routes));
    ctx->directory.store(*fresh);
    if (auto r = policy->reload(*database); !r)
      spdlog::error("event=policy_reload_failed error=\"{}\"", r.error().message);
    if (auto fresh = spam_models.refresh(*database)) ctx->spam_classifier.store(fresh);
    if (auto fresh_batv = batv::load_batv_snapshot(*database, config.batv)) {  // F-BATV
      ctx->batv.store(*fresh_batv);
      queue_manager.set_batv(*fresh_batv);
    } else {
      spdlog::error("event=batv_reload_failed error=\"{}\"", fresh_batv.error().message);
    }
    seen_generation = *current;
    spdlog::info("event=senders_reloaded generation={} senders={}", *current, (*fresh)->size());
    return true;
  };
  ctx->refresh_senders = reload_if_changed;
  // F-BATV: keys whose tags have all expired are retired (checked hourly: tags expire by whole
  // days); the change bumps the config generation, so the next reload drops them.
  constexpr int64_t kBatvRetireCheckS = 3600;
  int64_t batv_retire_checked = 0;
  auto retire_batv_keys = [&] {
    const int64_t now = store::unix_now();
    if (now - batv_retire_checked < kBatvRetireCheckS) return;
    batv_retire_checked = now;
    std::lock_guard lock(database_mutex);
    auto retired = batv::BatvKeys(*database).retire_expired(now, config.batv.tag_lifetime_days);
    if (!retired)
      spdlog::error("event=batv_retire_failed error=\"{}\"", retired.error().message);
    else if (*retired > 0)
      spdlog::info("event=batv_keys_retired count={}", *retired);
  };
  std::function<void()> schedule_reload = [&] {
    reload_timer.expires_after(std::chrono::milliseconds(config.server.reload_interval_ms));
    reload_timer.async_wait([&](const boost::system::error_code& error) {
      if (error) return;
      asio::post(blocking, [&] {
        reload_if_changed();
        retire_batv_keys();
        {
          std::lock_guard lock(database_mutex);
          run_queue_commands();
          save_auth_bans(*database, *ctx->guard, static_cast<size_t>(config.auth.tracked_ips));
        }
        policy->tick(store::unix_now());
        actions->tick(*ctx->spool, &injector);
        asio::post(main_context, schedule_reload);
      });
    });
  };
  schedule_reload();
  TlsMaintenance tls_maintenance(main_context, blocking, ctx->tls, tls_options);
  tls_maintenance.start();

  // Shutdown: stop accepting, ask sessions to finish, wait for the grace period, then cut.
  asio::signal_set signals(main_context, SIGTERM, SIGINT);
  asio::steady_timer shutdown_timer(main_context);
  auto shutdown_started = std::chrono::steady_clock::now();
  std::function<void()> wait_for_sessions = [&] {
    auto grace = std::chrono::seconds(config.server.shutdown_grace_s);
    if (ctx->sessions.size() == 0 || std::chrono::steady_clock::now() - shutdown_started >= grace) {
      if (ctx->sessions.size() > 0)
        spdlog::warn("event=shutdown_cut sessions={}", ctx->sessions.size());
      main_context.stop();
      return;
    }
    ctx->sessions.stop_all();
    shutdown_timer.expires_after(std::chrono::milliseconds(50));
    shutdown_timer.async_wait([&](const boost::system::error_code&) { wait_for_sessions(); });
  };
  signals.async_wait([&](const boost::system::error_code& error, int signal_number) {
    if (error) return;
    spdlog::info("event=shutdown signal={} sessions={}", signal_number, ctx->sessions.size());
    ctx->stopping = true;
    queue_manager.stop();
    reload_timer.cancel();
    tls_maintenance.stop();
    for (auto& listener : listeners) listener->close();
    if (http_server) http_server->stop();
    shutdown_started = std::chrono::steady_clock::now();
    wait_for_sessions();
  });

  loops.start();
  spdlog::info("event=started version={} hostname={} data_dir={} event_loops={} senders={}",
               PW_VERSION, ctx->hostname, data_dir.string(), loop_count, (*directory)->size());
  main_context.run();
  loops.stop();
  loops.join();
  {
    std::lock_guard lock(database_mutex);
    save_auth_bans(*database, *ctx->guard, static_cast<size_t>(config.auth.tracked_ips));
  }
  // Deliveries in progress finish their current message (bounded by the SMTP client's
  // time-outs); what is left stays in the spool and the log for the next start.
  queue_manager.stop();
  delivery_guard.reset();
  auto delivery_deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(config.server.shutdown_grace_s);
  while (!delivery_context.stopped() && std::chrono::steady_clock::now() < delivery_deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  delivery_context.stop();
  delivery_thread.join();
  // The sender-domain resolver lives on the delivery loop: it goes before that loop does.
  ctx->domain_resolves = nullptr;
  ctx->ip_reputation = nullptr;
  blocking.join();
  policy->tick(store::unix_now());  // counters survive the restart
  (*log_writer)->stop();
  spdlog::info("event=stopped");
  return 0;
}

}  // namespace

void register_serve_command(CLI::App& app, Action& action) {
  auto options = std::make_shared<ServeOptions>();
  auto* serve_cmd = app.add_subcommand("serve", "Run the gateway");
  serve_cmd->add_option("--listen", options->listen,
                        "Submission listener ADDR:PORT (STARTTLS); repeatable");
  serve_cmd->add_option("--listen-tls", options->listen_tls,
                        "Implicit-TLS listener ADDR:PORT; repeatable");
  serve_cmd->add_option("--listen-inbound", options->listen_inbound,
                        "Bounce listener ADDR:PORT for DSNs to prvs= tagged senders (F-BATV); "
                        "enables [inbound]; repeatable");
  serve_cmd->add_option("--relay-host", options->relay_host, "Send all outgoing mail to HOST:PORT");
  serve_cmd->add_option("--dns", options->dns, "DNS server HOST:PORT for the resolver");
  serve_cmd->add_option("--http", options->http, "Panel and API listener ADDR:PORT");
  serve_cmd->callback([&action, options] {
    action = [options](const GlobalOptions& global) { return serve(global, *options); };
  });
}

}  // namespace pw::app
