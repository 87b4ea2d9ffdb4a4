// The HTTPS server of the gateway (F-PANEL): the REST API under /api/v1, /metrics, and the
// panel's static files, on the gateway's event loops with its TLS certificate.
// SECURITY: talks to browsers and scripts on the network. Every read has a deadline and a size
// limit ([http]); API handlers run on the worker pool, never on an event loop.
#pragma once
#include <boost/asio/ip/tcp.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "http/message.hpp"
#include "util/result.hpp"

namespace boost::asio {
class thread_pool;
}  // namespace boost::asio

namespace pw::net {
class ServerTls;
}

namespace pw::http {

// What the server answers with, handed in from above (app/ fills them from api/): both are
// blocking and run on the worker pool.
struct HttpHandlers {
  // The answer to an /api/... request; `raw_path` is still percent-encoded.
  std::function<Response(const std::string& raw_path, Request request)> api;
  // The /metrics page (Prometheus text).
  std::function<std::string()> metrics;
};

class HttpServer {
 public:
  using Socket = boost::asio::ip::tcp::socket;
  // `config`: limits, the panel's files (web_root; else the compile-time default), metrics_allow.
  // `tls`: its current() context serves each new connection (reloaded without a restart).
  static Result<std::shared_ptr<HttpServer>> create(const config::HttpConfig& config,
                                                    HttpHandlers handlers,
                                                    std::shared_ptr<net::ServerTls> tls,
                                                    boost::asio::thread_pool& blocking);
  virtual ~HttpServer() = default;

  // Serves one accepted connection on the socket's own executor (an event loop).
  virtual void accept(Socket socket) = 0;
  // Stops taking requests and closes every connection (thread-safe).
  virtual void stop() = 0;
  virtual size_t connections() const = 0;
};

// [http] web_root, else the source tree's web/dist (PW_WEB_ROOT at compile time).
std::filesystem::path web_root_of(const std::string& configured);

}  // namespace pw::http
