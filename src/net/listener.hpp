// A listening socket that accepts connections and hands each to the next event loop.
// SECURITY: accepts connections from the network; what happens next is the session's job.
#pragma once
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <string>

#include "net/event_loops.hpp"
#include "util/result.hpp"

namespace pw::net {

// "127.0.0.1:587", "[::1]:587", "0.0.0.0:587".
Result<boost::asio::ip::tcp::endpoint> parse_endpoint(std::string_view text);

// The client's address as text, IPv4-mapped IPv6 shown as IPv4; "" when unknown.
std::string client_ip_of(const boost::asio::ip::tcp::socket& socket);

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  using Handler = std::function<void(boost::asio::ip::tcp::socket)>;
  static Result<std::shared_ptr<Listener>> bind(boost::asio::io_context& context,
                                                const std::string& address);
  void start(EventLoops& loops, Handler handler);
  void close();
  std::string address() const { return address_; }

 private:
  explicit Listener(boost::asio::io_context& context) : acceptor_(context) {}
  void accept_next();
  boost::asio::ip::tcp::acceptor acceptor_;
  EventLoops* loops_ = nullptr;
  Handler handler_;
  std::string address_;
};

}  // namespace pw::net
