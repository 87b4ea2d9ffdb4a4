// OpenSSL on the descriptor, waits through Asio's reactor (see the header).
#include "net/tls_socket.hpp"

#include <openssl/err.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>

namespace pw::net {
namespace {

namespace asio = boost::asio;
using error_code = boost::system::error_code;

// The error of a failed SSL_* call whose SSL_get_error was neither WANT_READ nor WANT_WRITE.
error_code ssl_failure(int reason, int saved_errno) {
  if (reason == SSL_ERROR_ZERO_RETURN) return asio::error::eof;
  if (reason == SSL_ERROR_SYSCALL) {
    const unsigned long queued = ERR_get_error();
    if (queued != 0) return {static_cast<int>(queued), asio::error::get_ssl_category()};
    // OpenSSL 3 reports an end of stream without close_notify as SSL_ERROR_SSL with
    // SSL_R_UNEXPECTED_EOF_WHILE_READING; older ones as SYSCALL with errno 0.
    if (saved_errno == 0) return asio::error::eof;
    return {saved_errno, boost::system::system_category()};
  }
  const unsigned long queued = ERR_get_error();
  if (ERR_GET_REASON(queued) == SSL_R_UNEXPECTED_EOF_WHILE_READING) return asio::error::eof;
  if (queued != 0) return {static_cast<int>(queued), asio::error::get_ssl_category()};
  return asio::error::fault;
}

}  // namespace

TlsSocket::TlsSocket(asio::ip::tcp::socket& socket, asio::ssl::context& context)
    : socket_(socket), ssl_(SSL_new(context.native_handle())) {
  error_code ec;
  socket_.non_blocking(true, ec);
  if (!ec && (!ssl_ || SSL_set_fd(ssl_.get(), static_cast<int>(socket_.native_handle())) != 1))
    ec = asio::error::no_memory;
  if (ssl_) SSL_set_accept_state(ssl_.get());  // the server side, also for a read before handshake
  setup_error_ = ec;
  ERR_clear_error();
}

template <typename Call>
asio::awaitable<error_code> TlsSocket::run(Call call) {
  if (setup_error_) co_return setup_error_;
  for (;;) {
    // OpenSSL holds the descriptor's number, not the socket: once the session has closed the
    // socket that number may already be another connection's, so nothing is read or written.
    if (!socket_.is_open()) co_return asio::error::bad_descriptor;
    ERR_clear_error();
    errno = 0;
    const int result = call(ssl_.get());
    if (result > 0) co_return error_code();
    const int saved_errno = errno;
    const int reason = SSL_get_error(ssl_.get(), result);
    error_code ec;
    if (reason == SSL_ERROR_WANT_READ) {
      co_await socket_.async_wait(asio::ip::tcp::socket::wait_read,
                                  asio::redirect_error(asio::use_awaitable, ec));
    } else if (reason == SSL_ERROR_WANT_WRITE) {
      co_await socket_.async_wait(asio::ip::tcp::socket::wait_write,
                                  asio::redirect_error(asio::use_awaitable, ec));
    } else {
      co_return ssl_failure(reason, saved_errno);
    }
    if (ec) co_return ec;
  }
}

asio::awaitable<error_code> TlsSocket::handshake() {
  co_return co_await run([](SSL* ssl) { return SSL_accept(ssl); });
}

asio::awaitable<std::pair<error_code, size_t>> TlsSocket::read_some(asio::mutable_buffer buffer) {
  size_t got = 0;
  auto ec =
      co_await run([&](SSL* ssl) { return SSL_read_ex(ssl, buffer.data(), buffer.size(), &got); });
  co_return std::pair{ec, got};
}

asio::awaitable<error_code> TlsSocket::write(asio::const_buffer data) {
  const auto* bytes = static_cast<const char*>(data.data());
  size_t left = data.size();
  while (left > 0) {
    size_t sent = 0;
    auto ec = co_await run([&](SSL* ssl) { return SSL_write_ex(ssl, bytes, left, &sent); });
    if (ec) co_return ec;
    bytes += sent;
    left -= sent;
  }
  co_return error_code();
}

}  // namespace pw::net
