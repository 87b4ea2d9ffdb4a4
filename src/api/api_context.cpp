#include "api/api_context.hpp"

#include <map>

#include "http/login_limiter.hpp"
#include "http/session_store.hpp"
#include "store/node_database.hpp"

namespace pw::api {
namespace {

// Each worker thread keeps one connection per data dir for as long as the thread lives.
thread_local std::map<std::string, std::unique_ptr<store::Database>> t_connections;

}  // namespace

// Keys (addresses, address-account pairs, accounts) each login map remembers at once.

ApiContext::ApiContext(std::string data_dir, config::Config config)
    : data_dir_(std::move(data_dir)), config_(std::move(config)) {
  const auto& h = config_.http;
  sessions_ = std::make_unique<http::SessionStore>(http::SessionLimits{
      std::chrono::minutes(h.session_idle_minutes), std::chrono::hours(h.session_max_hours),
      static_cast<size_t>(h.max_login_sessions)});
  login_limiter_ = std::make_unique<http::LoginLimiter>(
      http::LoginLimits{static_cast<size_t>(h.login_attempts_per_minute),
                        static_cast<size_t>(h.login_failures_per_address_account),
                        std::chrono::seconds(h.login_failure_window_s),
                        std::chrono::milliseconds(h.login_failure_delay_ms),
                        std::chrono::milliseconds(h.login_max_failure_delay_ms),
                        static_cast<size_t>(h.login_limiter_keys)});
}

ApiContext::~ApiContext() = default;

Result<store::Database*> ApiContext::database() {
  auto& slot = t_connections[data_dir_];
  if (!slot) {
    auto db = store::open_node_database(data_dir_);
    if (!db) return tl::unexpected(db.error());
    slot = std::make_unique<store::Database>(std::move(*db));
  }
  return slot.get();
}

}  // namespace pw::api
