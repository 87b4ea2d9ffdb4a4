// The delivery connection's I/O: every write and read has a deadline (a watchdog timer
// cancels the socket), replies are parsed within max_reply_line and max_reply_lines.
// Part of SmtpClientConnection::Impl (delivery/client_connection.hpp), issue 16 item 4.
// SECURITY: talks to remote SMTP servers; every byte from them is untrusted.
#include <fmt/format.h>

#include "delivery/client_connection.hpp"

namespace pw::delivery {

void SmtpClientConnection::Impl::close() {
  disarm();
  boost::system::error_code ignored;
  tcp::socket& s = socket();
  if (s.is_open()) {
    s.shutdown(tcp::socket::shutdown_both, ignored);
    s.close(ignored);
  }
}

// ---- deadlines --------------------------------------------------------------------------
// Sets the time by which the current wait must end; the timer then cancels the socket's I/O,
// which ends the wait with an error. A generation number tells a stale expiry from the
// current one.
void SmtpClientConnection::Impl::arm(std::chrono::seconds timeout) {
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

void SmtpClientConnection::Impl::disarm() {
  ++generation_;
  timer_.cancel();
}

// ---- I/O --------------------------------------------------------------------------------
// Marks the connection broken with a Postfix-style reason and closes it.
void SmtpClientConnection::Impl::fail(std::string_view detail) {
  if (timed_out_)
    error_ = fmt::format("conversation with {} timed out while {}", host_, phase_);
  else if (!detail.empty())
    error_ = fmt::format("lost connection with {} while {}: {}", host_, phase_, detail);
  else
    error_ = fmt::format("lost connection with {} while {}", host_, phase_);
  broken_ = true;
  close();
}

awaitable<bool> SmtpClientConnection::Impl::write(std::string_view data,
                                                  std::chrono::seconds timeout) {
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
awaitable<bool> SmtpClientConnection::Impl::read_more() {
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
awaitable<std::optional<ServerReply>> SmtpClientConnection::Impl::read_reply(
    std::chrono::seconds timeout, std::vector<std::string>* lines) {
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
awaitable<bool> SmtpClientConnection::Impl::exchange(const std::vector<Command>& commands,
                                                     bool pipelining,
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

}  // namespace pw::delivery
