// The session's stream: reads bounded lines, queues replies until it would wait (PIPELINING),
// and keeps the idle and command deadlines; the command loop, TLS handshakes and STARTTLS.
// Part of the Session class of smtp/session.hpp (one file per phase, issue 16 item 4).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <tuple>

#include "smtp/session.hpp"

namespace pw::smtp::detail {

void Session::start() {
  registry_handle_ = ctx_.sessions.add(weak_from_this());
  registered_ = true;
  auto self = shared_from_this();
  asio::co_spawn(executor_, watchdog(), asio::detached);
  asio::co_spawn(executor_, run(), [self](const std::exception_ptr& e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::error("event=session_error client={} error=\"{}\"", self->client_ip_,
                      printable(ex.what()));
      }
    }
    self->close();
  });
}

void Session::request_stop() {
  asio::post(executor_, [self = shared_from_this()] {
    self->stop_requested_ = true;
    if (self->waiting_for_command_) self->cancel_io();
  });
}

// ---- I/O --------------------------------------------------------------------------------
void Session::cancel_io() {
  boost::system::error_code ignored;
  socket_.cancel(ignored);
}

void Session::close() {
  if (closed_) return;
  closed_ = true;
  slot_ = net::ConnectionLimiter::Slot();
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  timer_.cancel();
}

// Sets the time by which the current wait must end; the watchdog cancels I/O after it.
void Session::arm_until(Clock::time_point deadline) {
  timed_out_ = false;
  bool earlier = deadline < deadline_;
  deadline_ = deadline;
  if (earlier) timer_.cancel();
}

awaitable<void> Session::watchdog() {
  auto self = shared_from_this();
  while (!closed_) {
    timer_.expires_at(deadline_);
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(use_awaitable, ec));
    if (closed_) break;
    if (Clock::now() >= deadline_) {
      timed_out_ = true;
      deadline_ = Clock::time_point::max();
      cancel_io();
    }
  }
}

awaitable<bool> Session::flush() {
  if (out_.empty()) co_return true;
  arm(std::chrono::seconds(limits_.write_timeout_s));
  boost::system::error_code ec;
  if (tls_)
    ec = co_await tls_socket_->write(asio::buffer(out_));
  else
    co_await asio::async_write(socket_, asio::buffer(out_),
                               asio::redirect_error(use_awaitable, ec));
  out_.clear();
  co_return !ec;
}

// Appends what the client sent next to in_; false on end of stream, error or time-out.
awaitable<bool> Session::read_more(size_t chunk) {
  // A wait for a new command holds no buffer left from an earlier, larger read (DATA).
  if (in_.empty() && chunk < in_.capacity()) std::string().swap(in_);
  size_t old = in_.size();
  in_.resize(old + chunk);
  boost::system::error_code ec;
  size_t n;
  if (tls_)
    std::tie(ec, n) = co_await tls_socket_->read_some(asio::buffer(in_.data() + old, chunk));
  else
    n = co_await socket_.async_read_some(asio::buffer(in_.data() + old, chunk),
                                         asio::redirect_error(use_awaitable, ec));
  in_.resize(old + n);
  co_return !ec && n > 0;
}

// Reads one line ending in LF (CR before it removed). `max_length` counts the line end; a
// longer line is drained to its end and reported as kTooLong. Each read must come within
// idle_timeout_s of the last, and the whole line within command_deadline_s however it
// trickles in (issue 15, item 6).
awaitable<LineStatus> Session::read_line(size_t max_length, std::string& line) {
  const auto deadline = Clock::now() + std::chrono::seconds(limits_.command_deadline_s);
  const auto idle = std::chrono::seconds(limits_.idle_timeout_s);
  bool draining = false;
  for (;;) {
    size_t newline = in_.find('\n');
    if (newline != std::string::npos) {
      bool too_long = draining || newline + 1 > max_length;
      if (!too_long) {
        line.assign(in_, 0, newline);
        if (!line.empty() && line.back() == '\r') line.pop_back();
      }
      in_.erase(0, newline + 1);
      co_return too_long ? LineStatus::kTooLong : LineStatus::kLine;
    }
    if (in_.size() >= max_length) {
      draining = true;
      in_.clear();
    }
    if (!co_await flush()) co_return LineStatus::kClosed;
    if (stop_requested_) co_return LineStatus::kStopped;
    arm_until(std::min(deadline, Clock::now() + idle));
    waiting_for_command_ = true;
    bool ok = co_await read_more(in_.empty() ? kIdleReadChunk : kReadChunk);
    waiting_for_command_ = false;
    if (!ok) {
      if (timed_out_)
        co_return Clock::now() >= deadline ? LineStatus::kDeadline : LineStatus::kTimeout;
      if (stop_requested_) co_return LineStatus::kStopped;
      co_return LineStatus::kClosed;
    }
  }
}

void Session::send_error(const Reply& reply) {
  ++errors_;
  send(reply);
}

// ---- the session --------------------------------------------------------------------------
awaitable<void> Session::run() {
  auto self = shared_from_this();
  if (implicit_tls_ && !co_await handshake()) co_return;
  send(Reply(220, "", fmt::format("{} ESMTP postwarden", ctx_.hostname)));
  spdlog::info("event=connect client={} tls={}", client_ip_, tls_ ? "yes" : "no");
  const size_t read_limit =
      static_cast<size_t>(std::max(limits_.max_command_line_length, limits_.max_auth_line_length));
  for (;;) {
    std::string line;
    LineStatus status = co_await read_line(read_limit, line);
    if (status == LineStatus::kClosed) break;
    if (status == LineStatus::kTimeout || status == LineStatus::kDeadline) {
      const bool deadline = status == LineStatus::kDeadline;
      send(Reply(421, "4.4.2",
                 fmt::format("{} Error: {} exceeded", ctx_.hostname,
                             deadline ? "command deadline" : "timeout")));
      spdlog::info("event=timeout client={} phase=command kind={}", client_ip_,
                   deadline ? "deadline" : "idle");
      break;
    }
    if (status == LineStatus::kStopped) {
      send(Reply(421, "4.3.2", fmt::format("{} Service shutting down", ctx_.hostname)));
      break;
    }
    Flow flow = Flow::kContinue;
    if (status == LineStatus::kTooLong) {
      send_error(Reply(500, "5.5.2", "Line too long"));
    } else {
      flow = co_await dispatch(line);
    }
    if (flow == Flow::kClose) break;
    if (errors_ >= limits_.max_errors) {
      send(Reply(421, "4.7.0",
                 fmt::format("{} Too many errors; closing connection", ctx_.hostname)));
      spdlog::info("event=too_many_errors client={} errors={}", client_ip_, errors_);
      break;
    }
  }
  // The session is over: free its per-IP place before the last reply goes out, so a client
  // that reconnects the moment it reads 221 is not refused by its own finished session.
  slot_ = net::ConnectionLimiter::Slot();
  co_await flush();
  spdlog::info("event=disconnect client={} messages={} errors={}", client_ip_, messages_, errors_);
}

awaitable<bool> Session::handshake() {
  arm(std::chrono::seconds(limits_.tls_handshake_timeout_s));
  boost::system::error_code ec;
  tls_socket_.emplace(socket_, *ctx_.tls->current());
  ec = co_await tls_socket_->handshake();
  if (ec) {
    spdlog::info("event=tls_failed client={} error=\"{}\"", client_ip_, printable(ec.message()));
    co_return false;
  }
  tls_ = true;
  co_return true;
}

awaitable<Flow> Session::on_starttls() {
  if (tls_) {
    send_error(Reply(503, "5.5.1", "TLS already active"));
    co_return Flow::kContinue;
  }
  send(Reply(220, "2.0.0", "Ready to start TLS"));
  if (!co_await flush()) co_return Flow::kClose;
  // RFC 3207 section 4.2 (and CVE-2011-0411): input pipelined before the handshake is
  // discarded, so no command injected in the clear runs inside the TLS session.
  in_.clear();
  if (!co_await handshake()) co_return Flow::kClose;
  // RFC 3207 section 4.2: forget everything learnt before TLS.
  helo_.clear();
  extended_ = false;
  auth_sender_.reset();
  auth_user_.clear();
  reset_transaction();
  co_return Flow::kContinue;
}

}  // namespace pw::smtp::detail
