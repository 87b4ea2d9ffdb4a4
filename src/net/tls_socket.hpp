// A server-side TLS stream run by OpenSSL straight on the socket's descriptor (SSL_set_fd), for
// the SMTP sessions, in place of asio::ssl::stream (issue 17, item 3). asio's stream passes every
// byte through a BIO pair and staging buffers: four buffers of about 17 KiB for each session,
// two of them zero-filled at construction, so an idle TLS session cost about 72 KiB. Here the
// only buffers are OpenSSL's own records, released while the session is idle
// (SSL_MODE_RELEASE_BUFFERS, set on every server context in net/tls_context). Written by hand
// because neither Asio nor Beast offers a stream without the BIO pair.
// Use: one operation at a time (a session reads, then writes, never both at once); cancelling the
// socket's waits (tcp::socket::cancel) ends the operation in progress with operation_aborted;
// once the socket is closed every operation fails with bad_descriptor and touches no descriptor.
// Trust: the peer is an untrusted client; every OpenSSL error becomes an error code, never an
// exception, and no operation waits without the socket's own wait, which the session bounds.
#pragma once
#include <openssl/ssl.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cstddef>
#include <memory>
#include <utility>

namespace pw::net {

class TlsSocket {
 public:
  using error_code = boost::system::error_code;

  // Takes a new OpenSSL session of `context`; `socket` must outlive this object.
  TlsSocket(boost::asio::ip::tcp::socket& socket, boost::asio::ssl::context& context);

  // The server side of the handshake.
  boost::asio::awaitable<error_code> handshake();
  // Up to buffer.size() bytes of application data (at least one unless there is an error; the
  // peer's close_notify or end of stream is boost::asio::error::eof).
  boost::asio::awaitable<std::pair<error_code, size_t>> read_some(
      boost::asio::mutable_buffer buffer);
  // All of `data`.
  boost::asio::awaitable<error_code> write(boost::asio::const_buffer data);

 private:
  struct SslFree {
    void operator()(SSL* ssl) const { SSL_free(ssl); }
  };
  // Runs `call` (SSL_accept, SSL_read_ex or SSL_write_ex on ssl_) until it succeeds, waiting
  // for the socket as OpenSSL asks; the OpenSSL result as an error code.
  template <typename Call>
  boost::asio::awaitable<error_code> run(Call call);

  boost::asio::ip::tcp::socket& socket_;
  std::unique_ptr<SSL, SslFree> ssl_;
  error_code setup_error_;
};

}  // namespace pw::net
