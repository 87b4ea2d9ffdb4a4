// The SMTP sessions' TLS stream (issue 17, item 3): OpenSSL straight on the descriptor. Against
// Asio's own TLS client over loopback: the handshake, a payload of many records both ways, the
// client's close as end of stream, a cancelled wait, a handshake with a client that speaks no
// TLS failing with an error (not a hang), and no read from a socket the session has closed.
#include "net/tls_socket.hpp"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <string>

#include "../store/temp_dir.hpp"
#include "net/tls_context.hpp"
#include "run_awaitable.hpp"

namespace pw::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using error_code = boost::system::error_code;

class TlsSocketTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ensure_self_signed_certificate(dir_.file("cert.pem"), dir_.file("key.pem"),
                                               "mx.example", {397, 30}));
    auto made = make_server_tls_context(dir_.file("cert.pem"), dir_.file("key.pem"));
    ASSERT_TRUE(made) << made.error().message;
    server_context_ = *made;
    acceptor_.open(tcp::v4());
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    client_context_.set_verify_mode(asio::ssl::verify_none);
  }

  // Connects a client socket and accepts its server end.
  void connect(tcp::socket& client, tcp::socket& server) {
    client.connect(acceptor_.local_endpoint());
    acceptor_.accept(server);
  }

  test::TempDir dir_;
  asio::io_context io_;
  tcp::acceptor acceptor_{io_};
  std::shared_ptr<asio::ssl::context> server_context_;
  asio::ssl::context client_context_{asio::ssl::context::tls_client};
};

TEST_F(TlsSocketTest, CarriesManyRecordsBothWaysAndSeesTheCloseAsEndOfStream) {
  tcp::socket server(io_);
  asio::ssl::stream<tcp::socket> client(io_, client_context_);
  connect(client.next_layer(), server);
  const std::string payload(100000, 'x');  // about seven TLS records
  auto session = [&]() -> asio::awaitable<std::string> {
    TlsSocket tls(server, *server_context_);
    auto client_side = [&]() -> asio::awaitable<void> {
      co_await client.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
      co_await asio::async_write(client, asio::buffer(payload), asio::use_awaitable);
      std::string echoed(payload.size(), '\0');
      co_await asio::async_read(client, asio::buffer(echoed), asio::use_awaitable);
      EXPECT_EQ(echoed, payload);
      client.next_layer().close();
    };
    asio::co_spawn(io_, client_side(), asio::detached);
    if (auto ec = co_await tls.handshake()) co_return "handshake: " + ec.message();
    std::string got;
    char buffer[16384];
    while (got.size() < payload.size()) {
      auto [ec, n] = co_await tls.read_some(asio::buffer(buffer));
      if (ec) co_return "read: " + ec.message();
      got.append(buffer, n);
    }
    if (auto ec = co_await tls.write(asio::buffer(got))) co_return "write: " + ec.message();
    auto [ec, n] = co_await tls.read_some(asio::buffer(buffer));
    co_return ec == asio::error::eof&& n == 0 ? "eof" : "after close: " + ec.message();
  };
  auto result = test::run_awaitable(io_, session());
  ASSERT_TRUE(result) << "timed out";
  EXPECT_EQ(*result, "eof");
}

TEST_F(TlsSocketTest, ACancelledWaitEndsItAClientWithoutTlsFailsAndAClosedSocketIsNotTouched) {
  tcp::socket server(io_);
  tcp::socket client(io_);
  connect(client, server);
  auto session = [&]() -> asio::awaitable<std::string> {
    TlsSocket tls(server, *server_context_);
    asio::steady_timer later(io_, std::chrono::milliseconds(100));
    later.async_wait([&](error_code) { server.cancel(); });
    char buffer[64];
    auto ec = co_await tls.handshake();  // waits for a ClientHello
    if (ec != asio::error::operation_aborted) co_return "cancel: " + ec.message();
    asio::write(client, asio::buffer(std::string("EHLO not-tls.example\r\n")));
    auto failed = co_await tls.handshake();
    if (!failed) co_return "handshake passed";
    server.close();  // its descriptor number may be reused: nothing may be written to it
    auto [closed, n] = co_await tls.read_some(asio::buffer(buffer));
    co_return closed == asio::error::bad_descriptor ? "failed" : "after close: " + closed.message();
  };
  auto result = test::run_awaitable(io_, session());
  ASSERT_TRUE(result) << "timed out";
  EXPECT_EQ(*result, "failed");
}

}  // namespace
}  // namespace pw::net
