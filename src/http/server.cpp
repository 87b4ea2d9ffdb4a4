// The HTTPS server (F-PANEL): one coroutine per connection on its event loop, TLS first, then
// HTTP/1.1 requests with keep-alive, each read under a deadline and within the [http] limits.
// SECURITY: talks to browsers and scripts on the network.
// Trust: every byte from the socket; requests are parsed by Beast with header and body limits,
// the target by parse_request_target.
#include "http/server.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <list>
#include <mutex>

#include "http/json_response.hpp"
#include "http/request_target.hpp"
#include "http/static_files.hpp"
#include "net/connection_limiter.hpp"
#include "net/listener.hpp"
#include "net/server_tls.hpp"
#include "obs/metrics.hpp"
#include "util/ascii_text.hpp"
#include "util/blocking.hpp"
#include "util/ip_address.hpp"

#ifndef PW_WEB_ROOT
#define PW_WEB_ROOT "web/dist"
#endif

namespace pw::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::awaitable;
using asio::use_awaitable;

using Stream = beast::ssl_stream<beast::tcp_stream>;
using BeastRequest = bhttp::request<bhttp::string_body>;
using BeastResponse = bhttp::response<bhttp::string_body>;

// After a 413 the client may still be sending its body: read and drop this much at most, for
// at most kDrainTime, so that it reads the answer instead of a reset.
constexpr size_t kDrainBytes = 16 * 1024 * 1024;
constexpr std::chrono::seconds kDrainTime{2};
// Time a closing TLS shutdown may take.
constexpr std::chrono::seconds kShutdownTime{1};

constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'";

std::optional<Method> method_of(bhttp::verb verb) {
  if (verb == bhttp::verb::get) return Method::kGet;
  if (verb == bhttp::verb::post) return Method::kPost;
  if (verb == bhttp::verb::put) return Method::kPut;
  if (verb == bhttp::verb::patch) return Method::kPatch;
  if (verb == bhttp::verb::delete_) return Method::kDelete;
  return std::nullopt;
}

std::string lower(std::string_view text) { return util::ascii_lowercase(text); }

class ServerImpl;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<ServerImpl> server, asio::ip::tcp::socket socket,
             std::string client_ip, net::ConnectionLimiter::Slot slot);
  ~Connection();
  void start();
  void close_now();  // from any thread

 private:
  awaitable<void> run();
  awaitable<BeastResponse> answer(const BeastRequest& request);
  awaitable<void> drain();
  std::shared_ptr<ServerImpl> server_;
  asio::any_io_executor executor_;
  Stream stream_;
  asio::steady_timer delay_timer_;  // a slowed-down login's answer waits on it
  std::string client_ip_;
  net::ConnectionLimiter::Slot slot_;  // the connection's place, freed with it
  std::list<std::weak_ptr<Connection>>::iterator handle_;
};

class ServerImpl final : public HttpServer, public std::enable_shared_from_this<ServerImpl> {
 public:
  ServerImpl(config::HttpConfig config, HttpHandlers handlers, std::shared_ptr<net::ServerTls> tls,
             asio::thread_pool& blocking, std::vector<util::Cidr> metrics_allow)
      : handlers_(std::move(handlers)),
        tls_(std::move(tls)),
        blocking_(blocking),
        config_(std::move(config)),
        web_root_(web_root_of(config_.web_root)),
        metrics_allow_(std::move(metrics_allow)) {}

  // Over [http] max_connections in total or max_connections_per_ip from one address (issue 15,
  // item 7), a connection is closed at once, before its TLS handshake costs anything.
  void accept(Socket socket) override {
    std::string ip = net::client_ip_of(socket);
    if (ip.empty() || stopping_) return;
    net::ConnectionLimiter::Slot slot;
    if (auto refusal = limiter_->try_acquire(ip, slot);
        refusal != net::ConnectionLimiter::Refusal::kNone) {
      spdlog::info("event=http_refused reason={} client={}",
                   refusal == net::ConnectionLimiter::Refusal::kPerIp ? "max_connections_per_ip"
                                                                      : "max_connections",
                   ip);
      return;
    }
    auto connection =
        std::make_shared<Connection>(shared_from_this(), std::move(socket), ip, std::move(slot));
    connection->start();
  }

  void stop() override {
    stopping_ = true;
    std::vector<std::shared_ptr<Connection>> live;
    {
      std::lock_guard lock(mutex_);
      for (auto& weak : live_)
        if (auto c = weak.lock()) live.push_back(std::move(c));
    }
    for (auto& c : live) c->close_now();
  }

  size_t connections() const override { return static_cast<size_t>(limiter_->total()); }

  std::list<std::weak_ptr<Connection>>::iterator add(std::weak_ptr<Connection> c) {
    std::lock_guard lock(mutex_);
    return live_.insert(live_.end(), std::move(c));
  }
  void remove(std::list<std::weak_ptr<Connection>>::iterator it) {
    std::lock_guard lock(mutex_);
    live_.erase(it);
  }

  bool metrics_allowed(const std::string& ip) const {
    auto address = util::IpAddress::parse(ip);
    if (!address) return false;
    for (const auto& range : metrics_allow_)
      if (range.contains(*address)) return true;
    return false;
  }

  HttpHandlers handlers_;
  std::shared_ptr<net::ServerTls> tls_;
  asio::thread_pool& blocking_;
  config::HttpConfig config_;
  std::filesystem::path web_root_;
  std::vector<util::Cidr> metrics_allow_;
  std::atomic<bool> stopping_{false};

 private:
  std::shared_ptr<net::ConnectionLimiter> limiter_ = std::make_shared<net::ConnectionLimiter>(
      config_.max_connections, config_.max_connections_per_ip);
  std::mutex mutex_;
  std::list<std::weak_ptr<Connection>> live_;
};

Connection::Connection(std::shared_ptr<ServerImpl> server, asio::ip::tcp::socket socket,
                       std::string client_ip, net::ConnectionLimiter::Slot slot)
    : server_(std::move(server)),
      executor_(socket.get_executor()),
      stream_(beast::tcp_stream(std::move(socket)), *server_->tls_->current()),
      delay_timer_(executor_),
      client_ip_(std::move(client_ip)),
      slot_(std::move(slot)) {}

Connection::~Connection() { server_->remove(handle_); }

void Connection::start() {
  handle_ = server_->add(weak_from_this());
  asio::co_spawn(executor_, run(), [self = shared_from_this()](const std::exception_ptr& e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::error("event=http_error client={} error=\"{}\"", self->client_ip_, ex.what());
      }
    }
    beast::error_code ignored;
    beast::get_lowest_layer(self->stream_).socket().close(ignored);
  });
}

void Connection::close_now() {
  asio::post(executor_, [self = shared_from_this()] {
    beast::error_code ignored;
    beast::get_lowest_layer(self->stream_)
        .socket()
        .shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(self->stream_).cancel();
    self->delay_timer_.cancel();
  });
}

awaitable<void> Connection::drain() {
  auto& lowest = beast::get_lowest_layer(stream_);
  beast::error_code ec;
  lowest.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  lowest.expires_after(kDrainTime);
  std::vector<char> sink(64 * 1024);
  size_t drained = 0;
  while (drained < kDrainBytes) {
    size_t n = co_await lowest.async_read_some(asio::buffer(sink),
                                               asio::redirect_error(use_awaitable, ec));
    if (ec || n == 0) break;
    drained += n;
  }
}

awaitable<void> Connection::run() {
  auto self = shared_from_this();
  const auto read_timeout = std::chrono::seconds(server_->config_.read_timeout_s);
  auto& lowest = beast::get_lowest_layer(stream_);
  beast::error_code ec;
  lowest.expires_after(read_timeout);
  co_await stream_.async_handshake(asio::ssl::stream_base::server,
                                   asio::redirect_error(use_awaitable, ec));
  if (ec) {
    spdlog::debug("event=http_tls_failed client={} error=\"{}\"", client_ip_, ec.message());
    co_return;
  }
  beast::flat_buffer buffer;
  for (;;) {
    if (server_->stopping_) break;
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<uint32_t>(server_->config_.max_header_bytes));
    parser.body_limit(static_cast<uint64_t>(server_->config_.max_body_bytes));
    lowest.expires_after(read_timeout);
    co_await bhttp::async_read(stream_, buffer, parser, asio::redirect_error(use_awaitable, ec));
    if (ec == bhttp::error::body_limit) {
      BeastResponse response{bhttp::status::payload_too_large, 11};
      auto error = error_response(413, "request body larger than [http] max_body_bytes");
      response.set(bhttp::field::content_type, error.content_type);
      response.set(bhttp::field::connection, "close");
      response.set("X-Content-Type-Options", "nosniff");
      response.body() = error.body;
      response.prepare_payload();
      obs::metrics().count_http(413);
      lowest.expires_after(read_timeout);
      co_await bhttp::async_write(stream_, response, asio::redirect_error(use_awaitable, ec));
      if (!ec) co_await drain();
      co_return;
    }
    if (ec) break;  // closed, timed out, malformed, headers over the limit
    BeastRequest request = parser.release();
    BeastResponse response = co_await answer(request);
    const bool keep_alive = request.keep_alive() && !server_->stopping_;
    response.keep_alive(keep_alive);
    lowest.expires_after(read_timeout);
    co_await bhttp::async_write(stream_, response, asio::redirect_error(use_awaitable, ec));
    if (ec || !keep_alive) break;
  }
  if (ec != bhttp::error::end_of_stream && ec != asio::ssl::error::stream_truncated) {
    lowest.expires_after(kShutdownTime);
    co_await stream_.async_shutdown(asio::redirect_error(use_awaitable, ec));
  }
}

// The API's view of a request: decoded path and query, lower-case header names (repeated fields
// joined, cookies with "; "), the body as bounded by the parser.
Request api_request(const BeastRequest& request, Method method, RequestTarget& target,
                    const std::string& client_ip) {
  Request parsed;
  parsed.method = method;
  parsed.path = target.path;
  parsed.query = std::move(target.query);
  parsed.body = request.body();  // bounded by the parser's body_limit
  parsed.client_ip = client_ip;
  for (const auto& field : request) {
    const auto name_text = field.name_string();
    const auto value_text = field.value();
    std::string name = lower(std::string_view(name_text.data(), name_text.size()));
    std::string value(value_text.data(), value_text.size());
    auto [it, inserted] = parsed.headers.emplace(name, value);
    if (!inserted) it->second += (name == "cookie" ? "; " : ", ") + value;
  }
  return parsed;
}

// The answer with the security headers every response carries (no body for HEAD).
BeastResponse beast_response(Response out, unsigned version, bool head, bool api_route) {
  BeastResponse response{static_cast<bhttp::status>(out.status), version};
  response.set(bhttp::field::server, "postwarden");
  if (!out.content_type.empty()) response.set(bhttp::field::content_type, out.content_type);
  response.set("Content-Security-Policy", kContentSecurityPolicy);
  response.set(bhttp::field::x_frame_options, "DENY");
  response.set("X-Content-Type-Options", "nosniff");
  response.set("Referrer-Policy", "no-referrer");
  response.set(bhttp::field::strict_transport_security, "max-age=31536000");
  if (api_route) response.set(bhttp::field::cache_control, "no-store");
  for (const auto& [name, value] : out.headers) response.insert(name, value);
  const size_t length = out.body.size();
  if (!head) response.body() = std::move(out.body);
  if (out.status != 204 && out.status != 304) response.content_length(length);
  return response;
}

awaitable<BeastResponse> Connection::answer(const BeastRequest& request) {
  Response out;
  const bool head = request.method() == bhttp::verb::head;
  auto target =
      parse_request_target(std::string_view(request.target().data(), request.target().size()));
  bool api_route = false;
  if (!target) {
    out = error_response(400, "malformed request target");
  } else if (target->raw_path == "/api" || target->raw_path.rfind("/api/", 0) == 0) {
    api_route = true;
    auto method = method_of(request.method());
    if (!method) {
      out = error_response(405, "method not allowed");
    } else {
      Request parsed = api_request(request, *method, *target, client_ip_);
      auto* server = server_.get();
      std::string raw_path = target->raw_path;
      out = co_await util::run_blocking(server->blocking_, [server, raw_path = std::move(raw_path),
                                                            parsed = std::move(parsed)]() mutable {
        return server->handlers_.api(raw_path, std::move(parsed));
      });
      if (out.delay.count() > 0) {
        beast::error_code ignored;
        delay_timer_.expires_after(out.delay);
        co_await delay_timer_.async_wait(asio::redirect_error(use_awaitable, ignored));
      }
    }
  } else if (target->path == "/metrics") {
    if (request.method() != bhttp::verb::get && !head) {
      out = error_response(405, "method not allowed");
    } else if (!server_->metrics_allowed(client_ip_)) {
      out = error_response(403, "/metrics is not open to this address ([http] metrics_allow)");
    } else {
      auto* server = server_.get();
      out.body = co_await util::run_blocking(server_->blocking_,
                                             [server] { return server->handlers_.metrics(); });
      out.content_type = "text/plain; version=0.0.4; charset=utf-8";
      out.headers.emplace_back("Cache-Control", "no-store");
    }
  } else if (request.method() != bhttp::verb::get && !head) {
    out = error_response(405, "the panel's files take GET and HEAD only");
  } else {
    std::filesystem::path root = server_->web_root_;
    std::string path = target->path;
    const int64_t max_bytes = server_->config_.max_static_bytes;
    out = co_await util::run_blocking(server_->blocking_, [root, path, max_bytes] {
      return serve_static(root, path, max_bytes);
    });
  }

  obs::metrics().count_http(out.status);
  const int status = out.status;
  BeastResponse response = beast_response(std::move(out), request.version(), head, api_route);
  if (status >= 400)
    spdlog::info("event=http_request client={} method={} target=\"{}\" status={}", client_ip_,
                 std::string(request.method_string().data(), request.method_string().size()),
                 target ? target->raw_path.substr(0, 200) : std::string("-"), status);
  co_return response;
}

}  // namespace

std::filesystem::path web_root_of(const std::string& configured) {
  return configured.empty() ? std::filesystem::path(PW_WEB_ROOT)
                            : std::filesystem::path(configured);
}

Result<std::shared_ptr<HttpServer>> HttpServer::create(const config::HttpConfig& config,
                                                       HttpHandlers handlers,
                                                       std::shared_ptr<net::ServerTls> tls,
                                                       asio::thread_pool& blocking) {
  std::vector<util::Cidr> allow;
  for (const auto& text : config.metrics_allow) {
    auto range = util::Cidr::parse(text);
    if (!range) return fail("[http] metrics_allow: " + range.error().message);
    allow.push_back(*range);
  }
  return std::shared_ptr<HttpServer>(std::make_shared<ServerImpl>(
      config, std::move(handlers), std::move(tls), blocking, std::move(allow)));
}

}  // namespace pw::http
