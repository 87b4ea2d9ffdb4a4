// The delivery client's SMTP connection: greeting, EHLO/HELO, opportunistic STARTTLS, and mail
// transactions, pipelined when the server offers it. This file holds the interface; the
// connection's parts are listed in delivery/client_connection.hpp.
// SECURITY: talks to remote SMTP servers on the network. Every wait has a deadline (a watchdog
// timer cancels the socket), replies are bounded in line length and line count, server text is
// made printable before it is returned or logged, and envelope addresses with control
// characters are refused before they can inject commands.
// Trust: every byte from the remote server.
#include "delivery/client_session.hpp"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <charconv>

#include "delivery/client_connection.hpp"
#include "delivery/dot_stuffer.hpp"

namespace pw::delivery {

ClientOptions ClientOptions::from(const config::DeliveryConfig& c) {
  ClientOptions o;
  o.require_tls = c.require_tls;
  o.connect_timeout = std::chrono::seconds(c.connect_timeout_s);
  o.greeting_timeout = std::chrono::seconds(c.greeting_timeout_s);
  o.command_timeout = std::chrono::seconds(c.command_timeout_s);
  o.data_init_timeout = std::chrono::seconds(c.data_init_timeout_s);
  o.data_block_timeout = std::chrono::seconds(c.data_block_timeout_s);
  o.data_end_timeout = std::chrono::seconds(c.data_timeout_s);
  o.tls_handshake_timeout = std::chrono::seconds(c.tls_handshake_timeout_s);
  o.max_reply_line = static_cast<size_t>(c.max_reply_line);
  o.max_reply_lines = static_cast<size_t>(c.max_reply_lines);
  o.max_pipelined_bytes = static_cast<size_t>(c.max_pipelined_bytes);
  return o;
}

ServerReply TransactionResult::outcome(size_t index) const {
  if (index >= rcpt_replies.size()) return lost_reply(error);
  const ServerReply& rcpt = rcpt_replies[index];
  if (!rcpt.positive()) return rcpt;
  if (data_reply) return *data_reply;
  return lost_reply(error);
}

awaitable<tl::expected<std::unique_ptr<SmtpClientConnection>, ConnectError>>
SmtpClientConnection::connect(asio::any_io_executor executor, tcp::endpoint endpoint,
                              std::string remote_name, const ClientOptions& options) {
  bool try_tls = options.tls != nullptr;
  for (int attempt = 0;; ++attempt) {
    auto impl = std::make_shared<Impl>(executor, endpoint, remote_name, options);
    std::unique_ptr<SmtpClientConnection> connection(new SmtpClientConnection(impl));
    Impl::Setup setup = co_await impl->establish(try_tls);
    if (!setup.error) co_return std::move(connection);
    // A failed handshake leaves the session in an unknown state: reconnect once in plaintext
    // (Postfix does so at security level "may"), unless TLS is required.
    if (setup.handshake_failed && !options.require_tls && attempt == 0) {
      spdlog::info("event=tls_fallback remote={} error=\"{}\"", remote_name, setup.error->reason);
      try_tls = false;
      continue;
    }
    co_return tl::unexpected(std::move(*setup.error));
  }
}

SmtpClientConnection::SmtpClientConnection(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

SmtpClientConnection::~SmtpClientConnection() { impl_->close(); }

awaitable<TransactionResult> SmtpClientConnection::send(const Transaction& transaction) {
  return impl_->send(transaction);
}
awaitable<bool> SmtpClientConnection::reset() { return impl_->reset(); }
awaitable<void> SmtpClientConnection::quit() { return impl_->quit(); }
bool SmtpClientConnection::usable() const { return impl_->usable(); }
bool SmtpClientConnection::tls_active() const { return impl_->tls_active(); }
std::string SmtpClientConnection::tls_description() const { return impl_->tls_description(); }
const std::set<std::string>& SmtpClientConnection::extensions() const {
  return impl_->extensions();
}
std::string SmtpClientConnection::remote_name() const { return impl_->remote_name(); }

}  // namespace pw::delivery
