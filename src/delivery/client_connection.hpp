// The delivery client's connection, shared by its parts (issue 16 item 4): client_connect
// (set-up), client_io (deadlines, replies), client_transaction (MAIL/RCPT/DATA). Internal to
// delivery/: client_session.hpp is the module's interface.
// SECURITY: talks to remote SMTP servers on the network. Every wait has a deadline, replies are
// bounded in line length and line count, server text is made printable before it is returned or
// logged, and envelope addresses with control characters are refused before they can inject
// commands. Trust: every byte from the remote server.
#pragma once
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "delivery/client_session.hpp"
#include "delivery/reply_parser.hpp"

namespace pw::delivery {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

// How much one read asks the kernel for.
inline constexpr size_t kReadChunk = 16 * 1024;
// Message data is stuffed and written this much at a time: memory stays bounded whatever the
// message size, and each write is one "data block" of RFC 5321 4.5.3.2.5.
inline constexpr size_t kDataChunk = 64 * 1024;

inline std::string upper_ascii(std::string_view text) {
  std::string out(text);
  for (auto& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

// CR, LF or any other control character in an address would end the command early.
inline bool has_control(std::string_view text) {
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

inline bool ends_with_crlf(std::string_view text) {
  return text.size() >= 2 && text.substr(text.size() - 2) == "\r\n";
}

inline ServerReply local_reply(int code, std::string enhanced, std::string text) {
  return ServerReply{code, std::move(enhanced), std::move(text)};
}

// Stands in for a reply that never came because the connection was lost: transient, and RFC
// 3463's 4.4.2 "bad connection".
inline ServerReply lost_reply(const std::string& reason) {
  return local_reply(451, "4.4.2", reason.empty() ? "lost connection" : reason);
}

class SmtpClientConnection::Impl : public std::enable_shared_from_this<Impl> {
 public:
  // The outcome of one connection attempt.
  struct Setup {
    std::optional<ConnectError> error;
    bool handshake_failed = false;  // STARTTLS was accepted but TLS did not come up
  };

  Impl(const asio::any_io_executor& executor, tcp::endpoint endpoint, std::string remote_name,
       const ClientOptions& options)
      : options_(options),
        endpoint_(std::move(endpoint)),
        remote_name_(std::move(remote_name)),
        host_(fmt::format("{}[{}]:{}", remote_name_, endpoint_.address().to_string(),
                          endpoint_.port())),
        socket_(executor),
        timer_(executor) {}

  ~Impl() { close(); }

  bool usable() const { return connected_ && !broken_ && !closing_ && !quit_; }
  bool tls_active() const { return tls_stream_.has_value() && !tls_description_.empty(); }
  const std::string& tls_description() const { return tls_description_; }
  const std::set<std::string>& extensions() const { return extensions_; }
  const std::string& remote_name() const { return remote_name_; }

  // One command of a pipelined group.
  struct Command {
    enum Kind { kMail, kRcpt, kData } kind;
    size_t index;  // the recipient's position, for kRcpt
    std::string text;
  };

  // ---- client_connect.cpp
  // ---- connection set-up ------------------------------------------------------------------
  awaitable<Setup> establish(bool try_tls);
  awaitable<std::optional<ConnectError>> hello();
  void learn_extensions(const std::vector<std::string>& lines);
  awaitable<bool> handshake();
  Setup failure(bool permanent, std::string reason, std::optional<ServerReply> reply = {});

  // ---- client_io.cpp
  void close();
  // ---- deadlines --------------------------------------------------------------------------
  // Sets the time by which the current wait must end; the timer then cancels the socket's I/O,
  // which ends the wait with an error. A generation number tells a stale expiry from the
  // current one.
  void arm(std::chrono::seconds timeout);
  void disarm();
  // ---- I/O --------------------------------------------------------------------------------
  // Marks the connection broken with a Postfix-style reason and closes it.
  void fail(std::string_view detail = {});
  awaitable<bool> write(std::string_view data, std::chrono::seconds timeout);
  // Appends what the server sent next to in_; false on end of stream, error or time-out (the
  // deadline is the caller's).
  awaitable<bool> read_more();
  // Reads one complete reply, which must arrive within `timeout`. nullopt: the connection is
  // lost (closed, timed out, malformed or oversized reply) and error_ says why. `lines` gets
  // each line's text (EHLO keywords).
  awaitable<std::optional<ServerReply>> read_reply(std::chrono::seconds timeout,
                                                   std::vector<std::string>* lines = nullptr);
  // Writes the commands and reads their replies in order into `replies`: with pipelining as
  // many commands at once as fit in max_pipelined_bytes, else one at a time, stopping after a
  // refused MAIL. false when the connection was lost or the server said 421 (later replies will
  // not come).
  awaitable<bool> exchange(const std::vector<Command>& commands, bool pipelining,
                           std::vector<ServerReply>& replies);

  // ---- client_transaction.cpp
  // ---- transactions -----------------------------------------------------------------------
  awaitable<TransactionResult> send(const Transaction& transaction);
  std::optional<ServerReply> local_refusal(const Transaction& transaction, uint64_t size) const;
  std::vector<Command> envelope_commands(const Transaction& transaction, uint64_t size,
                                         std::vector<std::optional<ServerReply>>& rcpt) const;
  size_t assign_replies(const std::vector<Command>& commands,
                        const std::vector<ServerReply>& replies,
                        std::vector<std::optional<ServerReply>>& rcpt,
                        std::optional<ServerReply>& data_command_reply);
  awaitable<TransactionResult> end_empty_transaction(
      TransactionResult result, const std::optional<ServerReply>& data_command_reply, bool mail_ok);
  awaitable<TransactionResult> send_data(TransactionResult result, const Transaction& transaction,
                                         std::optional<ServerReply> data_command_reply,
                                         bool pipelining);
  static const char* phase_of(Command::Kind kind);
  // Streams the message dot-stuffed, kDataChunk octets at a time, then the end of data.
  awaitable<bool> send_message(std::string_view message);
  awaitable<bool> send_message(MessageReader& reader);
  TransactionResult lost(TransactionResult result);
  // The transaction's outcome is known; the RSET after it may have lost the connection (then
  // usable() is false and error says why), and after a 421 the server closes, so we do too.
  TransactionResult finished(TransactionResult result);
  awaitable<bool> reset();
  awaitable<void> quit();

 private:
  tcp::socket& socket() { return tls_stream_ ? tls_stream_->next_layer() : socket_; }

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

}  // namespace pw::delivery
