// What the REST API's handlers work with (F-PANEL): the node's data dir and configuration, a
// database connection for the calling worker thread, and, inside `serve`, the running gateway's
// queue and server state. Outside `serve` (unit tests) the gateway parts are null.
#pragma once
#include <functional>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "store/database.hpp"
#include "util/result.hpp"

namespace pw::queue {
class QueueManager;
}
namespace pw::smtp {
struct ServerContext;
}
namespace pw::http {
class SessionStore;
class LoginLimiter;
}  // namespace pw::http

namespace pw::api {

class ApiContext {
 public:
  ApiContext(std::string data_dir, config::Config config);
  ~ApiContext();

  const std::string& data_dir() const { return data_dir_; }
  const config::Config& config() const { return config_; }

  // Blocking: this thread's own connection to <data-dir>/postwarden.db, opened on first use
  // (SQLite connections are not shared between threads). Handlers run on the worker pool.
  Result<store::Database*> database();

  // F-PANEL: the panel's login sessions and the login rate limit, made from [http].
  http::SessionStore& sessions() { return *sessions_; }
  http::LoginLimiter& login_limiter() { return *login_limiter_; }

  // Inside `serve`: the running gateway (null in unit tests and outside serve).
  queue::QueueManager* queue = nullptr;
  smtp::ServerContext* server = nullptr;

 private:
  std::string data_dir_;
  config::Config config_;
  std::unique_ptr<http::SessionStore> sessions_;
  std::unique_ptr<http::LoginLimiter> login_limiter_;
};

}  // namespace pw::api
