// The SMTP server's entry points: a session started on an accepted socket, the known-client test
// of the connection limits, and a refusal at greeting time. The session itself is smtp/session.hpp
// and its parts (session_*.cpp).
// SECURITY: talks to SMTP clients on the network (refusals are written before any input is read).
#include "smtp/server_session.hpp"

#include <spdlog/spdlog.h>

#include <atomic>

#include "net/listener.hpp"
#include "obs/metrics.hpp"
#include "smtp/session.hpp"

namespace pw::smtp {

using detail::Session;
namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

void start_session(ServerContext& context, tcp::socket socket, bool implicit_tls,
                   net::ConnectionLimiter::Slot slot, SessionMode mode) {
  auto session =
      std::make_shared<Session>(context, std::move(socket), implicit_tls, std::move(slot), mode);
  session->start();
}

void accept_connection(ServerContext& context, tcp::socket socket, bool implicit_tls,
                       SessionMode mode) {
  std::string ip = net::client_ip_of(socket);
  if (ip.empty() || context.stopping) return;
  if (context.guard->is_banned(ip)) {
    obs::metrics().count(obs::Outcome::kConnectionAuthBan);
    spdlog::info("event=refused reason=auth_ban client={}", ip);
    return refuse_connection(context, std::move(socket), implicit_tls,
                             "421 4.7.0 Too many failed authentication attempts from this IP "
                             "address; try again later");
  }
  net::ConnectionLimiter::Slot slot;
  const auto refusal = context.limiter->try_acquire(ip, slot, known_client(context, ip));
  switch (refusal) {
    case net::ConnectionLimiter::Refusal::kUnknownShare:
    case net::ConnectionLimiter::Refusal::kTotal: {
      // The same words for both: a client is not told that it counts as unknown.
      const bool total = refusal == net::ConnectionLimiter::Refusal::kTotal;
      obs::metrics().count(total ? obs::Outcome::kConnectionMaxSessions
                                 : obs::Outcome::kConnectionReservedForKnown);
      spdlog::info("event=refused reason={} client={}",
                   total ? "max_sessions" : "reserved_for_known", ip);
      return refuse_connection(context, std::move(socket), implicit_tls,
                               "421 4.3.2 Too many connections; please try again later");
    }
    case net::ConnectionLimiter::Refusal::kPerIp:
      obs::metrics().count(obs::Outcome::kConnectionPerIp);
      spdlog::info("event=refused reason=max_sessions_per_ip client={}", ip);
      // The exact text of seed 001 (F-CONC); clients and admins match on it.
      return refuse_connection(context, std::move(socket), implicit_tls,
                               "421 Too many concurrent SMTP connections from this IP address; "
                               "please try again later.");
    case net::ConnectionLimiter::Refusal::kNone:
      break;
  }
  start_session(context, std::move(socket), implicit_tls, std::move(slot), mode);
}

bool known_client(const ServerContext& context, const std::string& ip) {
  auto address = util::IpAddress::parse(ip);
  auto directory = context.directory.load();
  return address && directory && directory->match_ip(*address).has_value();
}

namespace {

// Frees a place among the implicit-TLS refusals being handshaken when the refusal ends.
struct RefusalPlace {
  std::atomic<int64_t>* pending;
  ~RefusalPlace() { pending->fetch_sub(1); }
};

// Item 9 of issue 15: on an implicit-TLS listener the refusal goes out after the handshake, over
// TLS; a client that does not finish the handshake, read and shut down in `limit` is cut.
awaitable<void> refuse_over_tls(std::shared_ptr<asio::ssl::stream<tcp::socket>> stream,
                                std::string text, std::chrono::seconds limit,
                                std::shared_ptr<RefusalPlace> place) {
  asio::steady_timer timer(stream->get_executor(), limit);
  timer.async_wait([stream](const boost::system::error_code& ec) {
    boost::system::error_code ignored;
    if (!ec) stream->next_layer().close(ignored);
  });
  boost::system::error_code ec;
  co_await stream->async_handshake(asio::ssl::stream_base::server,
                                   asio::redirect_error(use_awaitable, ec));
  if (!ec)
    co_await asio::async_write(*stream, asio::buffer(text),
                               asio::redirect_error(use_awaitable, ec));
  if (!ec) co_await stream->async_shutdown(asio::redirect_error(use_awaitable, ec));
  timer.cancel();
  boost::system::error_code ignored;
  stream->next_layer().shutdown(tcp::socket::shutdown_both, ignored);
  stream->next_layer().close(ignored);
}

}  // namespace

void refuse_connection(ServerContext& context, tcp::socket socket, bool implicit_tls,
                       std::string reply_line) {
  auto text = std::make_shared<std::string>(std::move(reply_line) + "\r\n");
  if (implicit_tls) {
    // Bounded: beyond [server] max_tls_refusals handshakes at once a refused client is closed
    // without a reply (fails closed: it is refused either way).
    if (context.tls_refusals.fetch_add(1) >= context.config.server.max_tls_refusals) {
      context.tls_refusals.fetch_sub(1);
      obs::metrics().count(obs::Outcome::kConnectionTlsRefusalsFull);
      boost::system::error_code ignored;
      socket.close(ignored);
      return;
    }
    auto place = std::make_shared<RefusalPlace>(RefusalPlace{&context.tls_refusals});
    auto executor = socket.get_executor();
    auto stream = std::make_shared<asio::ssl::stream<tcp::socket>>(std::move(socket),
                                                                   *context.tls->current());
    asio::co_spawn(
        executor,
        refuse_over_tls(stream, std::move(*text),
                        std::chrono::seconds(context.config.smtp.tls_handshake_timeout_s),
                        std::move(place)),
        asio::detached);
    return;
  }
  auto shared = std::make_shared<tcp::socket>(std::move(socket));
  asio::async_write(*shared, asio::buffer(*text),
                    [shared, text](const boost::system::error_code&, size_t) {
                      boost::system::error_code ignored;
                      shared->shutdown(tcp::socket::shutdown_both, ignored);
                      shared->close(ignored);
                    });
}

}  // namespace pw::smtp
