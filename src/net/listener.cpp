// Listening sockets. Trust: addresses come from the command line and config.
#include "net/listener.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <charconv>

#include "util/host_port.hpp"

namespace pw::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Pending connections the kernel holds for us (SOMAXCONN on this kernel).
constexpr int kListenBacklog = 4096;
// After a failed accept (e.g. no descriptor left), wait this long before the next.
constexpr std::chrono::milliseconds kAcceptErrorPause{100};

Result<tcp::endpoint> parse_endpoint(std::string_view text) {
  auto split = util::split_host_port(text);
  if (!split && split.error() == util::HostPortError::kNoPort)
    return fail(fmt::format("listen address '{}' needs :PORT", text));
  if (!split) return fail(fmt::format("bad port in listen address '{}'", text));
  boost::system::error_code error;
  auto address = asio::ip::make_address(split->host, error);
  if (error) return fail(fmt::format("bad IP address in listen address '{}'", text));
  return tcp::endpoint(address, split->port);
}

std::string client_ip_of(const tcp::socket& socket) {
  boost::system::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "";
  auto address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  return address.to_string();
}

Result<std::shared_ptr<Listener>> Listener::bind(asio::io_context& context,
                                                 const std::string& address) {
  auto endpoint = parse_endpoint(address);
  if (!endpoint) return tl::unexpected(endpoint.error());
  std::shared_ptr<Listener> listener(new Listener(context));
  listener->address_ = address;
  boost::system::error_code ec;
  auto& acceptor = listener->acceptor_;
  acceptor.open(endpoint->protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec && endpoint->address().is_v6()) acceptor.set_option(asio::ip::v6_only(true), ec);
  if (!ec) acceptor.bind(*endpoint, ec);
  if (!ec) acceptor.listen(kListenBacklog, ec);
  if (ec) return fail(fmt::format("cannot listen on {}: {}", address, ec.message()));
  return listener;
}

void Listener::start(EventLoops& loops, Handler handler) {
  loops_ = &loops;
  handler_ = std::move(handler);
  accept_next();
}

void Listener::accept_next() {
  acceptor_.async_accept(loops_->next(), [self = shared_from_this()](
                                             const boost::system::error_code& ec,
                                             tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
    if (ec) {
      // Out of descriptors and the like: log, pause so as not to spin, go on accepting.
      spdlog::warn("event=accept_error listener={} error=\"{}\"", self->address_, ec.message());
      auto pause =
          std::make_shared<asio::steady_timer>(self->acceptor_.get_executor(), kAcceptErrorPause);
      pause->async_wait([self, pause](const boost::system::error_code&) { self->accept_next(); });
      return;
    } else {
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      self->handler_(std::move(socket));
    }
    self->accept_next();
  });
}

void Listener::close() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->acceptor_.close(ignored);
  });
}

}  // namespace pw::net
