// The delivery client's SMTP connection: greeting, EHLO/HELO, opportunistic STARTTLS, and mail
// transactions, pipelined when the server offers it.
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
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

// How much one read asks the kernel for.
constexpr size_t kReadChunk = 16 * 1024;
// Message data is stuffed and written this much at a time: memory stays bounded whatever the
// message size, and each write is one "data block" of RFC 5321 4.5.3.2.5.
constexpr size_t kDataChunk = 64 * 1024;

std::string upper_ascii(std::string_view text) {
  std::string out(text);
  for (auto& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

// CR, LF or any other control character in an address would end the command early.
bool has_control(std::string_view text) {
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

bool ends_with_crlf(std::string_view text) {
  return text.size() >= 2 && text.substr(text.size() - 2) == "\r\n";
}

ServerReply local_reply(int code, std::string enhanced, std::string text) {
  return ServerReply{code, std::move(enhanced), std::move(text)};
}

// Stands in for a reply that never came because the connection was lost: transient, and RFC
// 3463's 4.4.2 "bad connection".
ServerReply lost_reply(const std::string& reason) {
  return local_reply(451, "4.4.2", reason.empty() ? "lost connection" : reason);
}

}  // namespace

ServerReply TransactionResult::outcome(size_t index) const {
  if (index >= rcpt_replies.size()) return lost_reply(error);
  const ServerReply& rcpt = rcpt_replies[index];
  if (!rcpt.positive()) return rcpt;
  if (data_reply) return *data_reply;
  return lost_reply(error);
}

class SmtpClientConnection::Impl : public std::enable_shared_from_this<Impl> {
 public:
  // The outcome of one connection attempt.
  struct Setup {
    std::optional<ConnectError> error;
    bool handshake_failed = false;  // STARTTLS was accepted but TLS did not come up
  };

  Impl(asio::any_io_executor executor, tcp::endpoint endpoint, std::string remote_name,
       const ClientOptions& options)
      : options_(options),
        endpoint_(std::move(endpoint)),
        remote_name_(std::move(remote_name)),
        host_(fmt::format("{}[{}]:{}", remote_name_, endpoint_.address().to_string(),
                          endpoint_.port())),
        socket_(executor),
        timer_(executor) {}

  ~Impl() { close(); }

  // ---- connection set-up ------------------------------------------------------------------
  awaitable<Setup> establish(bool try_tls) {
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
      co_return failure(false,
                        fmt::format("host {} refused to talk to me: {}", host_, greeting->str()),
                        *greeting);
    }
    if (auto refused = co_await hello()) co_return Setup{std::move(refused)};
    if (try_tls && extensions_.contains("STARTTLS")) {
      phase_ = "sending STARTTLS";
      if (!co_await write("STARTTLS\r\n", options_.command_timeout))
        co_return failure(false, error_);
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

  // ---- transactions -----------------------------------------------------------------------
  awaitable<TransactionResult> send(const Transaction& transaction) {
    TransactionResult result;
    const size_t count = transaction.recipients.size();
    if (!usable()) {
      result.connection_lost = true;
      result.error = error_.empty() ? fmt::format("connection to {} is not usable", host_) : error_;
      result.rcpt_replies.assign(count, lost_reply(result.error));
      co_return result;
    }
    // Checks that need no round trip: nothing is sent when one fails for every recipient.
    std::optional<ServerReply> refusal;
    const uint64_t size =
        transaction.message.size() +
        (transaction.message.empty() || ends_with_crlf(transaction.message) ? 0 : 2);
    if (has_control(transaction.mail_from)) {
      refusal = local_reply(553, "5.1.7", "bad sender address syntax");
    } else if (transaction.smtputf8 && !extensions_.contains("SMTPUTF8")) {
      // RFC 6531 section 3.4: no SMTPUTF8 at the server means the message cannot be relayed.
      refusal = local_reply(553, "5.6.7", "remote server does not support SMTPUTF8");
    } else if (size_limit_ > 0 && size > size_limit_) {
      // RFC 1870 section 6.1: do not send what the server already said it will refuse.
      refusal = local_reply(552, "5.3.4",
                            fmt::format("message size {} exceeds size limit {} of server {}", size,
                                        size_limit_, host_));
    }
    if (refusal) {
      result.rcpt_replies.assign(count, *refusal);
      co_return result;
    }

    // The command list: MAIL, one RCPT per sendable recipient, and DATA when pipelining (RFC
    // 2920 section 3.1: DATA may end a command group).
    std::string mail = fmt::format("MAIL FROM:<{}>", transaction.mail_from);
    if (extensions_.contains("SIZE")) mail += fmt::format(" SIZE={}", size);
    // RFC 6152 section 3: 8-bit data to a server without 8BITMIME is to be bounced or
    // downgraded; like most MTAs we pass it through unchanged and let the server decide.
    if (transaction.eight_bit && extensions_.contains("8BITMIME")) mail += " BODY=8BITMIME";
    if (transaction.smtputf8) mail += " SMTPUTF8";
    mail += "\r\n";
    std::vector<std::optional<ServerReply>> rcpt(count);
    std::vector<Command> commands{{Command::kMail, 0, std::move(mail)}};
    for (size_t i = 0; i < count; ++i) {
      if (has_control(transaction.recipients[i]))
        rcpt[i] = local_reply(553, "5.1.3", "bad recipient address syntax");
      else
        commands.push_back(
            {Command::kRcpt, i, fmt::format("RCPT TO:<{}>\r\n", transaction.recipients[i])});
    }
    if (commands.size() == 1) {  // no recipient left to send
      for (size_t i = 0; i < count; ++i) result.rcpt_replies.push_back(*rcpt[i]);
      co_return result;
    }
    const bool pipelining = extensions_.contains("PIPELINING");
    if (pipelining) commands.push_back({Command::kData, 0, "DATA\r\n"});

    std::vector<ServerReply> replies;
    const bool answered = co_await exchange(commands, pipelining, replies);
    if (!replies.empty()) result.mail_reply = replies[0];
    const bool mail_ok = !replies.empty() && replies[0].positive();
    size_t accepted = 0;
    std::optional<ServerReply> data_command_reply;
    for (size_t k = 1; k < commands.size(); ++k) {
      const Command& command = commands[k];
      std::optional<ServerReply> reply;
      if (k < replies.size()) reply = replies[k];
      if (command.kind == Command::kData) {
        data_command_reply = reply;
        continue;
      }
      // A refused MAIL decides every recipient, whatever the pipelined RCPTs got (503).
      if (!replies.empty() && !mail_ok) reply = replies[0];
      // After a 421 no more replies come: it stands for the commands left unanswered.
      if (!reply && closing_ && !replies.empty()) reply = replies.back();
      if (!reply) reply = lost_reply(error_);
      if (reply->positive()) ++accepted;
      rcpt[command.index] = std::move(*reply);
    }
    for (size_t i = 0; i < count; ++i) result.rcpt_replies.push_back(std::move(*rcpt[i]));
    if (!answered) {
      result.connection_lost = !closing_;
      result.error = error_;
      if (closing_) {
        if (accepted > 0) result.data_reply = replies.back();
        close();
      }
      co_return result;
    }

    if (accepted == 0) {
      // Nothing to deliver. A server that still said 354 to a pipelined DATA gets an empty
      // body to end it; then RSET closes the transaction so the connection can be reused.
      if (data_command_reply && data_command_reply->code == 354) {
        phase_ = "sending end of data";
        if (!co_await write(".\r\n", options_.data_block_timeout) ||
            !co_await read_reply(options_.data_end_timeout))
          co_return lost(std::move(result));
      }
      if (mail_ok) co_await reset();
      co_return finished(std::move(result));
    }

    if (!pipelining) {
      phase_ = "sending DATA";
      if (!co_await write("DATA\r\n", options_.command_timeout)) co_return lost(std::move(result));
      data_command_reply = co_await read_reply(options_.data_init_timeout);
      if (!data_command_reply) co_return lost(std::move(result));
    }
    if (data_command_reply->code != 354) {
      result.data_reply = data_command_reply;
      if (!closing_) co_await reset();
      co_return finished(std::move(result));
    }

    if (!co_await send_message(transaction.message)) co_return lost(std::move(result));
    phase_ = "sending end of data -- message may be sent more than once";
    result.data_reply = co_await read_reply(options_.data_end_timeout);
    if (!result.data_reply) co_return lost(std::move(result));
    co_return finished(std::move(result));
  }

  awaitable<bool> reset() {
    if (!usable()) co_return false;
    phase_ = "sending RSET";
    if (!co_await write("RSET\r\n", options_.command_timeout)) co_return false;
    auto reply = co_await read_reply(options_.command_timeout);
    co_return reply && reply->positive() && usable();
  }

  awaitable<void> quit() {
    if (usable()) {
      phase_ = "sending QUIT";
      if (co_await write("QUIT\r\n", options_.command_timeout))
        co_await read_reply(options_.command_timeout);
    }
    quit_ = true;
    close();
  }

  bool usable() const { return connected_ && !broken_ && !closing_ && !quit_; }
  bool tls_active() const { return tls_stream_.has_value() && !tls_description_.empty(); }
  const std::string& tls_description() const { return tls_description_; }
  const std::set<std::string>& extensions() const { return extensions_; }
  const std::string& remote_name() const { return remote_name_; }

  void close() {
    disarm();
    boost::system::error_code ignored;
    tcp::socket& s = socket();
    if (s.is_open()) {
      s.shutdown(tcp::socket::shutdown_both, ignored);
      s.close(ignored);
    }
  }

 private:
  struct Command {
    enum Kind { kMail, kRcpt, kData } kind;
    size_t index;  // the recipient's position, for kRcpt
    std::string text;
  };

  tcp::socket& socket() { return tls_stream_ ? tls_stream_->next_layer() : socket_; }

  // ---- deadlines --------------------------------------------------------------------------
  // Sets the time by which the current wait must end; the timer then cancels the socket's I/O,
  // which ends the wait with an error. A generation number tells a stale expiry from the
  // current one.
  void arm(std::chrono::seconds timeout) {
    timed_out_ = false;
    timer_.expires_after(timeout);
    timer_.async_wait(
        [weak = weak_from_this(), generation = ++generation_](const boost::system::error_code& ec) {
          if (ec) return;
          auto self = weak.lock();
          if (!self || self->generation_ != generation) return;
          self->timed_out_ = true;
          boost::system::error_code ignored;
          self->socket().cancel(ignored);
        });
  }

  void disarm() {
    ++generation_;
    timer_.cancel();
  }

  // ---- I/O --------------------------------------------------------------------------------
  // Marks the connection broken with a Postfix-style reason and closes it.
  void fail(std::string_view detail = {}) {
    if (timed_out_)
      error_ = fmt::format("conversation with {} timed out while {}", host_, phase_);
    else if (!detail.empty())
      error_ = fmt::format("lost connection with {} while {}: {}", host_, phase_, detail);
    else
      error_ = fmt::format("lost connection with {} while {}", host_, phase_);
    broken_ = true;
    close();
  }

  awaitable<bool> write(std::string_view data, std::chrono::seconds timeout) {
    if (!socket().is_open()) co_return false;
    arm(timeout);
    boost::system::error_code ec;
    if (tls_stream_)
      co_await asio::async_write(*tls_stream_, asio::buffer(data),
                                 asio::redirect_error(use_awaitable, ec));
    else
      co_await asio::async_write(socket_, asio::buffer(data),
                                 asio::redirect_error(use_awaitable, ec));
    disarm();
    if (ec) {
      fail(ec.message());
      co_return false;
    }
    co_return true;
  }

  // Appends what the server sent next to in_; false on end of stream, error or time-out (the
  // deadline is the caller's).
  awaitable<bool> read_more() {
    size_t old = in_.size();
    in_.resize(old + kReadChunk);
    boost::system::error_code ec;
    size_t n;
    if (tls_stream_)
      n = co_await tls_stream_->async_read_some(asio::buffer(in_.data() + old, kReadChunk),
                                                asio::redirect_error(use_awaitable, ec));
    else
      n = co_await socket_.async_read_some(asio::buffer(in_.data() + old, kReadChunk),
                                           asio::redirect_error(use_awaitable, ec));
    in_.resize(old + n);
    if (ec || n == 0) {
      std::string detail = ec && ec != asio::error::eof ? ec.message() : std::string();
      fail(detail);
      co_return false;
    }
    co_return true;
  }

  // Reads one complete reply, which must arrive within `timeout`. nullopt: the connection is
  // lost (closed, timed out, malformed or oversized reply) and error_ says why. `lines` gets
  // each line's text (EHLO keywords).
  awaitable<std::optional<ServerReply>> read_reply(std::chrono::seconds timeout,
                                                   std::vector<std::string>* lines = nullptr) {
    if (!socket().is_open()) co_return std::nullopt;
    arm(timeout);
    size_t line_count = 0;
    for (;;) {
      size_t newline = in_.find('\n');
      if (newline == std::string::npos) {
        if (in_.size() >= options_.max_reply_line) {
          disarm();
          fail(fmt::format("reply line longer than {} octets", options_.max_reply_line));
          co_return std::nullopt;
        }
        if (!co_await read_more()) co_return std::nullopt;
        continue;
      }
      if (newline + 1 > options_.max_reply_line) {
        disarm();
        fail(fmt::format("reply line longer than {} octets", options_.max_reply_line));
        co_return std::nullopt;
      }
      if (++line_count > options_.max_reply_lines) {
        disarm();
        fail(fmt::format("reply of more than {} lines", options_.max_reply_lines));
        co_return std::nullopt;
      }
      std::string_view line(in_.data(), newline);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      ReplyParser::Status status = parser_.feed(line);
      in_.erase(0, newline + 1);
      if (status == ReplyParser::Status::kNeedMore) continue;
      disarm();
      if (status == ReplyParser::Status::kError) {
        fail(parser_.error());
        co_return std::nullopt;
      }
      // RFC 5321 3.8: 421 means the server is closing the connection.
      if (parser_.reply().code == 421) {
        closing_ = true;
        error_ = fmt::format("host {} said: {}", host_, parser_.reply().str());
      }
      if (lines) *lines = parser_.lines();
      co_return parser_.reply();
    }
  }

  // Writes the commands and reads their replies in order into `replies`: with pipelining as
  // many commands at once as fit in max_pipelined_bytes, else one at a time, stopping after a
  // refused MAIL. false when the connection was lost or the server said 421 (later replies will
  // not come).
  awaitable<bool> exchange(const std::vector<Command>& commands, bool pipelining,
                           std::vector<ServerReply>& replies) {
    size_t sent = 0;
    std::string group;
    while (sent < commands.size()) {
      group.clear();
      size_t end = sent;
      do {
        group += commands[end].text;
        ++end;
      } while (pipelining && end < commands.size() &&
               group.size() + commands[end].text.size() <= options_.max_pipelined_bytes);
      phase_ = phase_of(commands[sent].kind);
      if (!co_await write(group, options_.command_timeout)) co_return false;
      for (; sent < end; ++sent) {
        phase_ = phase_of(commands[sent].kind);
        auto timeout = commands[sent].kind == Command::kData ? options_.data_init_timeout
                                                             : options_.command_timeout;
        auto reply = co_await read_reply(timeout);
        if (!reply) co_return false;
        replies.push_back(std::move(*reply));
        if (closing_) co_return false;
      }
      if (!pipelining && !replies.front().positive()) break;
    }
    co_return true;
  }

  static const char* phase_of(Command::Kind kind) {
    if (kind == Command::kMail) return "sending MAIL FROM";
    if (kind == Command::kRcpt) return "sending RCPT TO";
    return "sending DATA";
  }

  // Streams the message dot-stuffed, kDataChunk octets at a time, then the end of data.
  awaitable<bool> send_message(std::string_view message) {
    phase_ = "sending message body";
    DotStuffer stuffer;
    std::string out;
    size_t offset = 0;
    do {
      std::string_view chunk = message.substr(offset, kDataChunk);
      offset += chunk.size();
      out.clear();
      stuffer.stuff(chunk, out);
      if (offset >= message.size()) stuffer.finish(out);
      if (!co_await write(out, options_.data_block_timeout)) co_return false;
    } while (offset < message.size());
    co_return true;
  }

  TransactionResult lost(TransactionResult result) {
    result.connection_lost = true;
    result.error = error_;
    return result;
  }

  // The transaction's outcome is known; the RSET after it may have lost the connection (then
  // usable() is false and error says why), and after a 421 the server closes, so we do too.
  TransactionResult finished(TransactionResult result) {
    if (broken_ || closing_) result.error = error_;
    if (closing_) close();
    return result;
  }

  awaitable<std::optional<ConnectError>> hello() {
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

  void learn_extensions(const std::vector<std::string>& lines) {
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

  awaitable<bool> handshake() {
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

  Setup failure(bool permanent, std::string reason, std::optional<ServerReply> reply = {}) {
    return Setup{ConnectError{permanent, std::move(reason), std::move(reply)}};
  }

  const ClientOptions options_;
  const tcp::endpoint endpoint_;
  const std::string remote_name_;
  const std::string host_;  // "name[address]:port" for messages
  tcp::socket socket_;      // moved into tls_stream_ by STARTTLS
  std::optional<asio::ssl::stream<tcp::socket>> tls_stream_;
  asio::steady_timer timer_;
  uint64_t generation_ = 0;
  bool timed_out_ = false;

  bool connected_ = false;
  bool broken_ = false;   // I/O error, time-out or protocol violation
  bool closing_ = false;  // the server said 421
  bool quit_ = false;
  const char* phase_ = "connecting";
  std::string error_;  // why the connection was lost
  std::string in_;
  ReplyParser parser_;

  std::set<std::string> extensions_;
  uint64_t size_limit_ = 0;  // RFC 1870 SIZE; 0 = none announced
  std::string tls_description_;
};

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
