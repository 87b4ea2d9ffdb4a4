// The gateway's start-up phases and its orderly stop (see gateway.hpp).
#include "app/gateway.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <boost/asio/ssl.hpp>

#include "api/api_context.hpp"
#include "api/api_dispatch.hpp"
#include "api/api_routes.hpp"
#include "api/metrics_page.hpp"
#include "app/auth_ban_keeper.hpp"
#include "app/release_signer.hpp"
#include "app/serve_lock.hpp"
#include "auth/password.hpp"
#include "auth/sender_directory.hpp"
#include "batv/batv_snapshot.hpp"
#include "dkim/dkim_config.hpp"
#include "dkim/key_store.hpp"
#include "net/dns_resolver.hpp"
#include "net/dnsbl_client.hpp"
#include "net/server_tls.hpp"
#include "net/tls_context.hpp"
#include "policy/outbreak_tracker.hpp"
#include "queue/spool.hpp"
#include "store/domain_routing.hpp"
#include "store/message_log.hpp"
#include "store/statement.hpp"

namespace pw::app {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;

// True when `domain` has an MX (not a null MX) or an address record; nullopt when DNS gives no
// answer now (time-out, SERVFAIL): the caller answers 4xx rather than guess.
asio::awaitable<std::optional<bool>> domain_resolves(std::shared_ptr<net::DnsResolver> resolver,
                                                     std::string domain) {
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

// Every SMTP listener of this gateway: delivery to one of them would be a mail loop.
std::vector<std::string> own_smtp_listeners(const config::Config& config) {
  std::vector<std::string> all = config.server.listen;
  all.insert(all.end(), config.server.listen_tls.begin(), config.server.listen_tls.end());
  all.insert(all.end(), config.inbound.listen.begin(), config.inbound.listen.end());
  return all;
}

}  // namespace

Gateway::DeliveryStop::~DeliveryStop() {
  loop.stop();
  if (thread.joinable()) thread.join();
  // What lives on the delivery loop goes before the loop does.
  context.domain_resolves = nullptr;
  context.ip_reputation = nullptr;
}

Gateway::Gateway(config::Config config, fs::path data_dir, std::string hostname)
    : data_dir_(std::move(data_dir)),
      ctx_(std::make_unique<smtp::ServerContext>()),
      config_(ctx_->config),
      delivery_stop_{delivery_context_, delivery_thread_, *ctx_} {
  ctx_->config = std::move(config);
  ctx_->hostname = std::move(hostname);
}

Gateway::~Gateway() = default;

Result<void> Gateway::start() {
  if (auto r = open_storage(); !r) return r;
  if (auto r = open_tls(); !r) return r;
  if (auto r = start_guards(); !r) return r;
  blocking_.emplace(static_cast<size_t>(config_.server.blocking_threads));
  ctx_->blocking = &*blocking_;
  delivery_guard_.emplace(asio::make_work_guard(delivery_context_));
  if (auto r = start_policy(); !r) return r;
  if (auto r = start_queue(); !r) return r;
  if (auto r = start_resolvers(); !r) return r;
  loop_count_ = config_.server.event_loops > 0 ? static_cast<size_t>(config_.server.event_loops)
                                               : std::max(1u, std::thread::hardware_concurrency());
  loops_ = std::make_unique<net::EventLoops>(loop_count_);
  if (auto r = open_smtp_listeners(config_.server.listen, false, smtp::SessionMode::kSubmission);
      !r)
    return r;
  if (auto r = open_smtp_listeners(config_.server.listen_tls, true, smtp::SessionMode::kSubmission);
      !r)
    return r;
  if (config_.inbound.enabled)  // F-BATV: the bounce listener
    if (auto r = open_smtp_listeners(config_.inbound.listen, false, smtp::SessionMode::kInbound);
        !r)
      return r;
  if (auto r = start_http(); !r) return r;
  schedule_reload();
  tls_maintenance_.emplace(main_context_, *blocking_, ctx_->tls, *tls_options_);
  tls_maintenance_->start();
  watch_signals();
  return {};
}

Result<void> Gateway::open_storage() {
  std::error_code ec;
  fs::create_directories(data_dir_, ec);
  if (ec) return fail("cannot create data dir " + data_dir_.string() + ": " + ec.message());
  ::chmod(data_dir_.c_str(), 0700);
  auto lock = acquire_serve_lock(data_dir_.string());
  if (!lock) return tl::unexpected(lock.error());
  serve_lock_.emplace(std::move(*lock));
  auto db = store::Database::open((data_dir_ / "postwarden.db").string());
  if (!db) return tl::unexpected(db.error());
  db_.emplace(std::move(*db));
  auto directory = auth::load_sender_directory(*db_);
  if (!directory) return tl::unexpected(directory.error());
  senders_ = (*directory)->size();
  ctx_->directory.store(*directory);
  auto generation = db_->config_generation();
  if (!generation) return tl::unexpected(generation.error());
  seen_generation_ = *generation;
  auto batv = batv::load_batv_snapshot(*db_, config_.batv);  // F-BATV
  if (!batv) return tl::unexpected(batv.error());
  batv_ = *batv;
  ctx_->batv.store(batv_);
  util::GroupSyncLimits group_commit;
  group_commit.max_files = static_cast<size_t>(config_.spool.group_commit_max);
  group_commit.max_wait = std::chrono::microseconds(config_.spool.group_commit_wait_us);
  group_commit.data_sync = config_.spool.group_commit_sync == "file" ? util::DataSync::kEachFile
                                                                     : util::DataSync::kFileSystem;
  group_commit.spare_files = static_cast<size_t>(config_.spool.spare_files);
  auto spool = queue::Spool::open(data_dir_ / "spool", group_commit);
  if (!spool) return tl::unexpected(spool.error());
  ctx_->spool = std::make_unique<queue::Spool>(std::move(*spool));
  auto writer = store::LogWriter::start((data_dir_ / "postwarden.db").string(),
                                        {static_cast<size_t>(config_.log.batch_size),
                                         std::chrono::milliseconds(config_.log.batch_delay_ms)});
  if (!writer) return tl::unexpected(writer.error());
  log_writer_ = std::move(*writer);
  return {};
}

Result<void> Gateway::open_tls() {
  const auto& t = config_.tls;
  const bool self_signed = t.cert_file.empty() || t.key_file.empty();
  tls_options_.emplace(TlsMaintenanceOptions{
      t.cert_file.empty() ? data_dir_ / "tls" / "cert.pem" : fs::path(t.cert_file),
      t.key_file.empty() ? data_dir_ / "tls" / "key.pem" : fs::path(t.key_file),
      ctx_->hostname,
      self_signed,
      {t.self_signed_days, t.renew_before_days},
      std::chrono::seconds(t.reload_check_s)});
  const auto& o = *tls_options_;
  if (o.self_signed) {
    auto made = net::ensure_self_signed_certificate(o.cert_file, o.key_file, o.hostname, o.policy);
    if (!made) return tl::unexpected(made.error());
    if (*made) spdlog::info("event=tls_self_signed_made days={}", o.policy.days);
  }
  auto tls = net::ServerTls::load(o.cert_file, o.key_file);
  if (!tls) return tl::unexpected(tls.error());
  ctx_->tls = *tls;
  return {};
}

Result<void> Gateway::start_guards() {
  const auto& a = config_.auth;
  ctx_->guard = std::make_unique<auth::BruteForceGuard>(auth::BruteForceLimits{
      std::chrono::milliseconds(a.failure_delay_ms),
      std::chrono::milliseconds(a.max_failure_delay_ms), a.max_failures,
      std::chrono::seconds(a.failure_window_s), std::chrono::seconds(a.ban_time_s),
      static_cast<size_t>(a.tracked_ips)});
  auto bans = load_auth_bans(*db_, *ctx_->guard, static_cast<size_t>(a.tracked_ips));
  if (!bans) return tl::unexpected(bans.error());
  if (*bans > 0) spdlog::info("event=auth_bans_loaded bans={}", *bans);
  const auto& s = config_.server;
  ctx_->limiter = std::make_shared<net::ConnectionLimiter>(
      s.max_sessions, s.max_sessions_per_ip, s.max_sessions * s.reserved_for_known_percent / 100);
  // AUTH for an unknown user still checks a password, against this hash (no timing oracle).
  unsigned char random[32];
  randombytes_buf(random, sizeof random);
  auto dummy = auth::hash_password(
      std::string_view(reinterpret_cast<char*>(random), sizeof random),
      {static_cast<uint64_t>(a.password_hash_ops), static_cast<uint64_t>(a.password_hash_mem_kib)});
  if (!dummy) return tl::unexpected(dummy.error());
  ctx_->dummy_password_hash = *dummy;
  return {};
}

Result<void> Gateway::start_policy() {
  const auto& p = config_.policy;
  auto service = policy::PolicyService::open(
      {data_dir_, ctx_->hostname, p.abuse_contact, p.notify_admin_on_lock,
       config_.nrd.max_age_hours * 3600, static_cast<size_t>(p.lock_message_ids),
       static_cast<size_t>(p.lock_evidence_subjects)},
      *log_writer_);
  if (!service) return tl::unexpected(service.error());
  policy_ = std::move(*service);
  if (auto r = policy_->reload(*db_); !r) return r;
  ctx_->policy = policy_.get();
  // Quarantine, ARF reports and the archive: what the verdicts call for.
  auto actions = smtp::VerdictActions::open(
      {data_dir_, ctx_->hostname, static_cast<size_t>(p.arf_max_attached_bytes)}, *policy_);
  if (!actions) return tl::unexpected(actions.error());
  actions_ = std::move(*actions);
  ctx_->actions = actions_.get();
  ctx_->outbreaks =
      std::make_shared<policy::OutbreakTracker>(static_cast<size_t>(config_.fuzzy.max_tracked));
  spam_models_.emplace(config_, data_dir_);  // F-SPAM, with the admin's decisions
  ctx_->spam_classifier.store(spam_models_->refresh(*db_));
  if (config_.dkim.enabled) {  // F-DKIM
    ctx_->dkim_keys =
        std::make_shared<dkim::KeyCache>(dkim::KeyStore(dkim::KeyStore::default_dir(data_dir_)));
    ctx_->dkim_options =
        std::make_shared<const dkim::SignerOptions>(dkim::signer_options(config_.dkim));
    auto* policy = policy_.get();
    actions_->set_release_signer(make_release_signer([policy] { return policy->snapshot(); },
                                                     ctx_->dkim_keys, ctx_->dkim_options));
  }
  return {};
}

Result<void> Gateway::start_queue() {
  auto* policy = policy_.get();
  queue_ = std::make_unique<queue::QueueManager>(queue::QueueManager::Dependencies{
      delivery_context_, *blocking_, *ctx_->spool, *log_writer_, ctx_->hostname, config_.delivery,
      [policy](const mail::Envelope& envelope, const std::string&) {
        if (mail::from_user(envelope.sender_kind)) policy->count_delivery_failure(envelope.sender);
      },
      own_smtp_listeners(config_), static_cast<uint64_t>(config_.smtp.data_memory_bytes)});
  injector_ = std::make_unique<queue::MailInjector>(*ctx_->spool, *queue_, ctx_->hostname);
  policy_->set_outbox(injector_.get());
  auto routes = store::DomainRouting(*db_).routes();
  if (!routes) return tl::unexpected(routes.error());
  queue_->set_routes(std::move(*routes));
  queue_->set_batv(batv_);
  if (auto r = queue_->start(); !r) return r;
  // Delivery starts while the queue is still being read back: the first messages recovered go
  // out at once instead of after the whole spool has been read.
  delivery_thread_ = std::thread([this] { delivery_context_.run(); });
  store::MessageLog recovery_log(*db_);
  if (auto recovered = queue_->recover(recovery_log); !recovered)
    return tl::unexpected(recovered.error());
  ctx_->queue = queue_.get();
  return {};
}

Result<void> Gateway::start_resolvers() {
  // valid_sender_required: a resolver on the delivery loop, awaited from the session loops.
  auto resolver = net::DnsResolver::create(delivery_context_.get_executor(),
                                           net::DnsOptions::from(config_.delivery));
  if (!resolver) return tl::unexpected(resolver.error());
  auto* loop = &delivery_context_;
  ctx_->domain_resolves = [resolver = *resolver, loop](std::string domain) {
    return asio::co_spawn(*loop, domain_resolves(resolver, std::move(domain)), asio::use_awaitable);
  };
  // F-IPREP: the block lists, asked on the delivery loop by a resolver of their own (its cache
  // off: the DNSBL client keeps answers by their TTL itself).
  if (config_.ip_reputation.zones.empty()) return {};
  const auto& r = config_.ip_reputation;
  auto dnsbl = net::DnsblOptions::from(r);
  if (!dnsbl) return tl::unexpected(dnsbl.error());
  auto options = net::DnsOptions::from(config_.delivery);
  options.timeout = std::chrono::milliseconds(r.timeout_ms);
  options.tries = 1;
  options.cache_entries = 0;
  auto own = net::DnsResolver::create(delivery_context_.get_executor(), options);
  if (!own) return tl::unexpected(own.error());
  auto client = std::make_shared<net::DnsblClient>(*own, std::move(*dnsbl));
  ctx_->ip_reputation = [client, loop](std::string ip) {
    return asio::co_spawn(*loop, client->lookup(std::move(ip)), asio::use_awaitable);
  };
  return {};
}

Result<void> Gateway::open_smtp_listeners(const std::vector<std::string>& addresses,
                                          bool implicit_tls, smtp::SessionMode mode) {
  for (const auto& address : addresses) {
    auto listener = net::Listener::bind(main_context_, address);
    if (!listener) return tl::unexpected(listener.error());
    auto* context = ctx_.get();
    (*listener)->start(*loops_, [context, implicit_tls, mode](asio::ip::tcp::socket socket) {
      smtp::accept_connection(*context, std::move(socket), implicit_tls, mode);
    });
    spdlog::info("event=listening address={} tls={}{}", address,
                 implicit_tls ? "implicit" : "starttls",
                 mode == smtp::SessionMode::kInbound ? " mode=inbound" : "");
    listeners_.push_back(*listener);
  }
  return {};
}

// F-PANEL: the REST API, the panel and /metrics over HTTPS with the same certificate.
Result<void> Gateway::start_http() {
  if (config_.http.listen.empty()) return {};
  auto api_context = std::make_shared<api::ApiContext>(data_dir_.string(), config_);
  api_context->queue = queue_.get();
  api_context->server = ctx_.get();
  auto routes = std::make_shared<const api::RouteTable>(api::all_routes());
  http::HttpHandlers handlers{
      [api_context, routes](const std::string& raw_path, http::Request request) {
        return api::dispatch_api(*routes, *api_context, raw_path, std::move(request));
      },
      [api_context] { return api::render_metrics_page(*api_context); }};
  auto made = http::HttpServer::create(config_.http, std::move(handlers), ctx_->tls, *blocking_);
  if (!made) return tl::unexpected(made.error());
  http_server_ = *made;
  auto listener = net::Listener::bind(main_context_, config_.http.listen);
  if (!listener) return tl::unexpected(listener.error());
  (*listener)->start(*loops_, [server = http_server_](asio::ip::tcp::socket socket) {
    server->accept(std::move(socket));
  });
  spdlog::info("event=listening address={} protocol=https web_root={}", config_.http.listen,
               http::web_root_of(config_.http.web_root).string());
  listeners_.push_back(*listener);
  return {};
}

int Gateway::run() {
  loops_->start();
  spdlog::info("event=started version={} hostname={} data_dir={} event_loops={} senders={}",
               PW_VERSION, ctx_->hostname, data_dir_.string(), loop_count_, senders_);
  main_context_.run();
  stop_after_run();
  spdlog::info("event=stopped");
  return 0;
}

void Gateway::stop_after_run() {
  loops_->stop();
  loops_->join();
  ctx_->spool->stop_commits();  // the sessions are gone: what they left waiting is finished
  const auto commits = ctx_->spool->commit_stats();
  spdlog::info("event=group_commit batches={} messages={} largest={} spares_used={} given_back={}",
               commits.batches, commits.files, commits.largest_batch, commits.spares_used,
               commits.given_back);
  {
    std::lock_guard lock(database_mutex_);
    save_auth_bans(*db_, *ctx_->guard, static_cast<size_t>(config_.auth.tracked_ips));
  }
  // Deliveries in progress finish their current message (bounded by the SMTP client's
  // time-outs); what is left stays in the spool and the log for the next start.
  queue_->stop();
  delivery_guard_.reset();
  auto delivery_deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(config_.server.shutdown_grace_s);
  while (!delivery_context_.stopped() && std::chrono::steady_clock::now() < delivery_deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  delivery_context_.stop();
  delivery_thread_.join();
  // The sender-domain resolver lives on the delivery loop: it goes before that loop does.
  ctx_->domain_resolves = nullptr;
  ctx_->ip_reputation = nullptr;
  blocking_->join();
  policy_->tick(store::unix_now());  // counters survive the restart
  log_writer_->stop();
}

}  // namespace pw::app
