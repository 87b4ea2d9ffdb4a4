// The gateway's timers and signals: the reload of what the CLI and the panel change, the queue
// commands they leave, BATV key retirement, and the orderly shutdown on SIGTERM/SIGINT.
#include <spdlog/spdlog.h>

#include "app/auth_ban_keeper.hpp"
#include "app/gateway.hpp"
#include "auth/sender_directory.hpp"
#include "batv/batv_keys.hpp"
#include "batv/batv_snapshot.hpp"
#include "store/domain_routing.hpp"
#include "store/gateway_commands.hpp"
#include "store/message_log.hpp"
#include "store/statement.hpp"

namespace pw::app {
namespace {

namespace asio = boost::asio;

// F-BATV: keys whose tags have all expired are retired, checked hourly (tags expire by whole
// days); the change bumps the config generation, so the next reload drops them.
constexpr int64_t kBatvRetireCheckS = 3600;

}  // namespace

// Sender reload: the CLI bumps config_generation; a changed value loads new snapshots.
bool Gateway::reload_if_changed() {
  std::lock_guard lock(database_mutex_);
  auto current = db_->config_generation();
  if (!current || *current == seen_generation_) return false;
  auto fresh = auth::load_sender_directory(*db_);
  if (!fresh) {
    spdlog::error("event=reload_failed error=\"{}\"", fresh.error().message);
    return false;
  }
  if (auto routes = store::DomainRouting(*db_).routes()) queue_->set_routes(std::move(*routes));
  ctx_->directory.store(*fresh);
  if (auto r = policy_->reload(*db_); !r)
    spdlog::error("event=policy_reload_failed error=\"{}\"", r.error().message);
  if (auto classifier = spam_models_->refresh(*db_)) ctx_->spam_classifier.store(classifier);
  if (auto batv = batv::load_batv_snapshot(*db_, config_.batv)) {  // F-BATV
    ctx_->batv.store(*batv);
    queue_->set_batv(*batv);
  } else {
    spdlog::error("event=batv_reload_failed error=\"{}\"", batv.error().message);
  }
  seen_generation_ = *current;
  spdlog::info("event=senders_reloaded generation={} senders={}", *current, (*fresh)->size());
  return true;
}

void Gateway::retire_batv_keys() {
  const int64_t now = store::unix_now();
  if (now - batv_retire_checked_ < kBatvRetireCheckS) return;
  batv_retire_checked_ = now;
  std::lock_guard lock(database_mutex_);
  auto retired = batv::BatvKeys(*db_).retire_expired(now, config_.batv.tag_lifetime_days);
  if (!retired)
    spdlog::error("event=batv_retire_failed error=\"{}\"", retired.error().message);
  else if (*retired > 0)
    spdlog::info("event=batv_keys_retired count={}", *retired);
}

// Queue commands left by the CLI (queue flush/delete) while we run; releases are the quarantine's
// (QuarantineStore::process_commands). Called with database_mutex_.
void Gateway::run_queue_commands() {
  auto commands = store::GatewayCommands(*db_).pending(
      {store::CommandKind::kFlush, store::CommandKind::kDelete}, store::kCommandsPerLook);
  if (!commands) return;
  auto* writer = log_writer_.get();
  for (const auto& command : *commands) {
    {
      std::lock_guard lock(commands_mutex_);
      if (!commands_in_flight_.insert(command.id).second) continue;
    }
    auto done = [this, writer, id = command.id](std::string result) {
      spdlog::info("event=queue_command id={} result=\"{}\"", id, result);
      writer->submit(
          [id, result](store::MessageLog& l) {
            return store::GatewayCommands(l.database()).complete(id, store::unix_now(), result);
          },
          [this, id] {
            std::lock_guard lock(commands_mutex_);
            commands_in_flight_.erase(id);
          });
    };
    if (command.kind == store::CommandKind::kFlush)
      queue_->flush(command.target, done);
    else
      queue_->remove(command.target, done);
  }
}

void Gateway::schedule_reload() {
  if (!reload_timer_) {
    reload_timer_.emplace(main_context_);
    ctx_->refresh_senders = [this] { return reload_if_changed(); };
  }
  reload_timer_->expires_after(std::chrono::milliseconds(config_.server.reload_interval_ms));
  reload_timer_->async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    asio::post(*blocking_, [this] {
      reload_if_changed();
      retire_batv_keys();
      {
        std::lock_guard lock(database_mutex_);
        run_queue_commands();
        save_auth_bans(*db_, *ctx_->guard, static_cast<size_t>(config_.auth.tracked_ips));
      }
      policy_->tick(store::unix_now());
      actions_->tick(*ctx_->spool, injector_.get());
      asio::post(main_context_, [this] { schedule_reload(); });
    });
  });
}

// Shutdown: stop accepting, ask sessions to finish, wait for the grace period, then cut.
void Gateway::watch_signals() {
  signals_.emplace(main_context_, SIGTERM, SIGINT);
  shutdown_timer_.emplace(main_context_);
  signals_->async_wait([this](const boost::system::error_code& error, int signal_number) {
    if (error) return;
    spdlog::info("event=shutdown signal={} sessions={}", signal_number, ctx_->sessions.size());
    ctx_->stopping = true;
    queue_->stop();
    reload_timer_->cancel();
    tls_maintenance_->stop();
    for (auto& listener : listeners_) listener->close();
    if (http_server_) http_server_->stop();
    shutdown_started_ = std::chrono::steady_clock::now();
    wait_for_sessions();
  });
}

void Gateway::wait_for_sessions() {
  const auto grace = std::chrono::seconds(config_.server.shutdown_grace_s);
  if (ctx_->sessions.size() == 0 || std::chrono::steady_clock::now() - shutdown_started_ >= grace) {
    if (ctx_->sessions.size() > 0)
      spdlog::warn("event=shutdown_cut sessions={}", ctx_->sessions.size());
    main_context_.stop();
    return;
  }
  ctx_->sessions.stop_all();
  shutdown_timer_->expires_after(std::chrono::milliseconds(50));
  shutdown_timer_->async_wait([this](const boost::system::error_code&) { wait_for_sessions(); });
}

}  // namespace pw::app
