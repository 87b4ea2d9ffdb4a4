// The delivery client: one SMTP connection to a remote server (RFC 5321 client side) with
// STARTTLS (RFC 3207, opportunistic), PIPELINING (RFC 2920), SIZE (RFC 1870), 8BITMIME
// (RFC 6152) and SMTPUTF8 (RFC 6531) passed through, reusable for several transactions.
// Trust: every byte from the remote server (replies are bounded in length and line count).
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <vector>

#include "config/config.hpp"
#include "delivery/reply_parser.hpp"

namespace boost::asio::ssl {
class context;
}

namespace pw::delivery {

// Built from [delivery] (ClientOptions::from); the struct holds no default of its own.
// Timeouts follow RFC 5321 4.5.3.2 where it names one.
struct ClientOptions {
  std::string helo_name;  // our name in EHLO/HELO
  // Client TLS context for STARTTLS; null = never STARTTLS. Opportunistic TLS: the certificate
  // is not verified (RFC 7435); the caller's context is used as is otherwise.
  std::shared_ptr<boost::asio::ssl::context> tls;
  // Fail the connection (transient) unless STARTTLS succeeds.
  bool require_tls = false;
  // The registry's defaults are RFC 5321 4.5.3.2's 5 min, 2 min, 3 min and 10 min.
  std::chrono::seconds connect_timeout{0};   // TCP connect; not in RFC 5321 (Postfix: 30 s)
  std::chrono::seconds greeting_timeout{0};  // 4.5.3.2.1 initial 220 message
  // 4.5.3.2.2 MAIL and 4.5.3.2.3 RCPT; also EHLO, STARTTLS, RSET and QUIT.
  std::chrono::seconds command_timeout{0};
  std::chrono::seconds data_init_timeout{0};   // 4.5.3.2.4 DATA initiation (354)
  std::chrono::seconds data_block_timeout{0};  // 4.5.3.2.5 each data block sent
  std::chrono::seconds data_end_timeout{0};    // 4.5.3.2.6 reply after "."
  // TLS handshake after "220" to STARTTLS; not in RFC 3207 (Postfix smtp_starttls_timeout).
  std::chrono::seconds tls_handshake_timeout{0};
  // One reply line, CRLF included: RFC 5321 4.5.3.1.5 allows 512.
  size_t max_reply_line = 0;
  // Lines of one reply (an EHLO reply has one per extension); more cuts the connection.
  size_t max_reply_lines = 0;
  // Commands written at once before their replies are read: bounds the replies the server
  // must buffer, so neither side blocks on a full socket (RFC 2920 section 3.1 deadlock).
  size_t max_pipelined_bytes = 0;

  // Every limit from [delivery]; helo_name and tls are the caller's.
  static ClientOptions from(const config::DeliveryConfig& c);
};

struct ConnectError {
  // true: no other host will do better (a 5xx to both EHLO and HELO after a 220 greeting, as
  // Postfix treats it). false: try the next MX or later, including for a 5xx greeting, which
  // RFC 5321 3.1 defines as "no SMTP service here" for this host only.
  bool permanent = false;
  std::string reason;                // one printable line: "connect to mx[192.0.2.1]:25: ..."
  std::optional<ServerReply> reply;  // the server's reply when one caused the failure
};

// A message too large to hold in memory (issue 17 item 4), read piece by piece while it is sent.
class MessageReader {
 public:
  virtual ~MessageReader() = default;
  virtual uint64_t size() const = 0;
  virtual bool ends_with_crlf() const = 0;
  // The next piece; empty at the end; an error when the message cannot be read (the
  // connection is then closed before the end of data, so the server keeps nothing).
  virtual boost::asio::awaitable<tl::expected<std::string, std::string>> next() = 0;
};

struct Transaction {
  std::string mail_from;                // reverse-path without <>; empty for the null sender
  std::vector<std::string> recipients;  // forward-paths without <>
  // CRLF lines, NOT dot-stuffed: the client stuffs while sending and appends CRLF.CRLF
  // (adding a CRLF first if the message does not end with one). Must outlive send().
  std::string_view message;
  MessageReader* reader = nullptr;  // when set, the message comes from it instead
  bool eight_bit = false;           // BODY=8BITMIME when offered (RFC 6152)
  bool smtputf8 = false;  // SMTPUTF8 on MAIL; fails without sending when not offered (RFC 6531)
};

struct TransactionResult {
  // The connection ended (closed, reset, timed out, protocol violation) before the final reply.
  bool connection_lost = false;
  // Why, as one printable line: "lost connection with mx[192.0.2.1]:25 while sending message
  // body"; also set when the server said 421 (the connection is then closed, not lost).
  std::string error;
  std::optional<ServerReply> mail_reply;
  // One per recipient, same order, as far as replies arrived. When MAIL was refused (or the
  // transaction failed before sending), every entry is that refusal, so an entry is the
  // recipient's outcome up to RCPT: 2xx accepted, 4xx retry later, 5xx bounce.
  std::vector<ServerReply> rcpt_replies;
  // The final reply after the dot, or the DATA command's refusal. Empty when no recipient was
  // accepted (the client sent RSET instead of the message) or the connection was lost.
  std::optional<ServerReply> data_reply;

  // The reply that decides recipient `index`: its refusal, else the final reply, else a
  // synthesized "451 4.4.2" when the connection was lost before an answer.
  ServerReply outcome(size_t index) const;
};

// Use from one thread: the executor passed to connect() must be (or run on the same thread as)
// the executor of the coroutines that call it. Arguments passed by reference (options,
// transaction and its message) must live until the awaited call completes, and the connection
// until nothing awaits it any more.
class SmtpClientConnection {
 public:
  // Connects, reads the greeting, EHLO (HELO when EHLO is refused with 5xx), and STARTTLS when
  // offered and options.tls is set. A failed TLS handshake leaves the session unusable, so the
  // client reconnects once without STARTTLS unless options.require_tls (as Postfix does with
  // smtp_tls_security_level = may). `remote_name` is the MX host name (SNI, messages).
  static boost::asio::awaitable<tl::expected<std::unique_ptr<SmtpClientConnection>, ConnectError>>
  connect(boost::asio::any_io_executor executor, boost::asio::ip::tcp::endpoint endpoint,
          std::string remote_name, const ClientOptions& options);

  ~SmtpClientConnection();
  SmtpClientConnection(const SmtpClientConnection&) = delete;
  SmtpClientConnection& operator=(const SmtpClientConnection&) = delete;

  // One mail transaction. Pipelined when the server offers PIPELINING. When it returns and
  // usable() is true, the server is outside a transaction (the client sent RSET itself when
  // the transaction stopped before the final reply), so send() can be called again.
  boost::asio::awaitable<TransactionResult> send(const Transaction& transaction);

  // RSET; true when the server answered 2xx.
  boost::asio::awaitable<bool> reset();
  // QUIT, waits for the reply (bounded), closes. TLS is not shut down with close_notify: the
  // 221 reply already marks the end of the session.
  boost::asio::awaitable<void> quit();

  // Connected, no error, not quit, no 421 received: another transaction may be tried.
  bool usable() const;
  bool tls_active() const;
  // "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)", or "" without TLS.
  std::string tls_description() const;
  // EHLO keywords in upper case ("PIPELINING", "SIZE", "STARTTLS"...); empty after HELO.
  const std::set<std::string>& extensions() const;
  std::string remote_name() const;

 private:
  class Impl;
  explicit SmtpClientConnection(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace pw::delivery
