// Setting up a delivery connection: connect, the greeting, EHLO (HELO when refused),
// and STARTTLS when offered (required when [delivery] require_tls says so).
// Part of SmtpClientConnection::Impl (delivery/client_connection.hpp), issue 16 item 4.
// SECURITY: talks to remote SMTP servers; every byte from them is untrusted.
#include <fmt/format.h>
#include <openssl/ssl.h>

#include <charconv>

#include "delivery/client_connection.hpp"

namespace pw::delivery {

// ---- connection set-up ------------------------------------------------------------------
awaitable<SmtpClientConnection::Impl::Setup> SmtpClientConnection::Impl::establish(bool try_tls) {
  phase_ = "connecting";
  arm(options_.connect_timeout);
  boost::system::error_code ec;
  co_await socket_.async_connect(endpoint_, asio::redirect_error(use_awaitable, ec));
  disarm();
  if (ec) {
    std::string why = timed_out_ ? std::string("Connection timed out") : ec.message();
    close();
    co_return failure(false, fmt::format("connect to {}: {}", host_, why));
  }
  connected_ = true;
  parser_.reset(false);  // RFC 2034 section 3: no enhanced codes in the greeting
  phase_ = "receiving the initial server greeting";
  auto greeting = co_await read_reply(options_.greeting_timeout);
  if (!greeting) co_return failure(false, error_);
  if (greeting->code != 220) {
    // RFC 5321 3.1: 554 means "no SMTP service here"; the client should QUIT. This host only
    // is refusing, so the next MX is tried (Postfix smtp_skip_5xx_greeting).
    co_await write("QUIT\r\n", options_.command_timeout);
    close();
    co_return failure(
        false, fmt::format("host {} refused to talk to me: {}", host_, greeting->str()), *greeting);
  }
  if (auto refused = co_await hello()) co_return Setup{std::move(refused)};
  if (try_tls && extensions_.contains("STARTTLS")) {
    phase_ = "sending STARTTLS";
    if (!co_await write("STARTTLS\r\n", options_.command_timeout)) co_return failure(false, error_);
    auto reply = co_await read_reply(options_.command_timeout);
    if (!reply) co_return failure(false, error_);
    if (reply->code == 220) {
      // RFC 3207 section 5: anything the server sent after "220" and before the handshake
      // could have been injected by an attacker on the path; it is dropped.
      in_.clear();
      if (!co_await handshake()) {
        Setup setup = failure(false, error_);
        setup.handshake_failed = true;
        co_return setup;
      }
      // RFC 3207 section 4.2: forget everything learnt before TLS.
      if (auto refused = co_await hello()) co_return Setup{std::move(refused)};
    } else if (closing_ || options_.require_tls) {
      co_return failure(false, fmt::format("host {} refused STARTTLS: {}", host_, reply->str()),
                        *reply);
    }
    // Otherwise go on in plaintext: opportunistic TLS (RFC 7435).
  }
  if (options_.require_tls && !tls_stream_) {
    close();
    co_return failure(false, options_.tls ? fmt::format("TLS is required, but was not offered "
                                                        "by host {}",
                                                        host_)
                                          : std::string("TLS is required, but no client TLS "
                                                        "context is configured"));
  }
  co_return Setup{};
}

awaitable<std::optional<ConnectError>> SmtpClientConnection::Impl::hello() {
  extensions_.clear();
  size_limit_ = 0;
  parser_.reset(false);  // RFC 2034 section 3: no enhanced codes in EHLO/HELO replies
  phase_ = "performing the EHLO handshake";
  if (!co_await write(fmt::format("EHLO {}\r\n", options_.helo_name), options_.command_timeout))
    co_return ConnectError{false, error_, std::nullopt};
  std::vector<std::string> lines;
  auto reply = co_await read_reply(options_.command_timeout, &lines);
  if (!reply) co_return ConnectError{false, error_, std::nullopt};
  if (reply->positive()) {
    learn_extensions(lines);
    parser_.reset(extensions_.contains("ENHANCEDSTATUSCODES"));
    co_return std::nullopt;
  }
  if (reply->permanent()) {
    // RFC 5321 3.2: a server that does not know EHLO gets HELO.
    phase_ = "performing the HELO handshake";
    if (!co_await write(fmt::format("HELO {}\r\n", options_.helo_name), options_.command_timeout))
      co_return ConnectError{false, error_, std::nullopt};
    reply = co_await read_reply(options_.command_timeout);
    if (!reply) co_return ConnectError{false, error_, std::nullopt};
    if (reply->positive()) co_return std::nullopt;
  }
  close();
  co_return ConnectError{reply->permanent(),
                         fmt::format("host {} refused to talk to me: {}", host_, reply->str()),
                         *reply};
}

void SmtpClientConnection::Impl::learn_extensions(const std::vector<std::string>& lines) {
  // The first line is the server's name and greeting; each further line one keyword and its
  // parameters (RFC 5321 4.1.1.1).
  for (size_t i = 1; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    size_t space = line.find(' ');
    std::string keyword = upper_ascii(line.substr(0, space));
    if (keyword.empty()) continue;
    if (keyword == "SIZE" && space != std::string_view::npos) {
      std::string_view value = line.substr(space + 1);
      uint64_t limit = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), limit);
      // RFC 1870 section 4: 0 or no value means no fixed limit.
      size_limit_ = ec == std::errc() ? limit : 0;
    }
    extensions_.insert(std::move(keyword));
  }
}

awaitable<bool> SmtpClientConnection::Impl::handshake() {
  phase_ = "performing the TLS handshake";
  tls_stream_.emplace(std::move(socket_), *options_.tls);
  // Opportunistic TLS (RFC 7435): any certificate will do, the point is encryption against
  // passive listeners; RFC 7672 (DANE) or MTA-STS would be the place to verify.
  tls_stream_->set_verify_mode(asio::ssl::verify_none);
  std::string sni = remote_name_;
  if (!sni.empty() && sni.back() == '.') sni.pop_back();
  boost::system::error_code ec;
  asio::ip::make_address(sni, ec);
  // RFC 6066 section 3: SNI carries DNS names only, never an IP literal.
  if (!sni.empty() && ec) SSL_set_tlsext_host_name(tls_stream_->native_handle(), sni.c_str());
  arm(options_.tls_handshake_timeout);
  ec.clear();
  co_await tls_stream_->async_handshake(asio::ssl::stream_base::client,
                                        asio::redirect_error(use_awaitable, ec));
  disarm();
  if (ec) {
    fail(ec.message());
    co_return false;
  }
  SSL* ssl = tls_stream_->native_handle();
  int algorithm_bits = 0;
  int bits = SSL_get_cipher_bits(ssl, &algorithm_bits);
  tls_description_ = fmt::format("{} with cipher {} ({}/{} bits)", SSL_get_version(ssl),
                                 SSL_get_cipher_name(ssl), bits, algorithm_bits);
  co_return true;
}

SmtpClientConnection::Impl::Setup SmtpClientConnection::Impl::failure(
    bool permanent, std::string reason, std::optional<ServerReply> reply) {
  return Setup{ConnectError{permanent, std::move(reason), std::move(reply)}};
}

}  // namespace pw::delivery
