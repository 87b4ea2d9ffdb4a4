// Blocking network I/O with deadlines for the external scanner clients. They run on the blocking
// worker pool (never on an event loop), so each call owns a private io_context and runs one
// asynchronous operation at a time on it until the operation completes or its deadline passes;
// on the deadline the socket is closed and the result is `timed_out`. Plain blocking sockets
// have no deadline, hence this wrapper.
#pragma once
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <utility>

namespace pw::scan::detail {

using Clock = std::chrono::steady_clock;

// `start(handler)` begins one asynchronous operation whose handler takes (error_code, ...);
// `cancel()` closes the socket. Returns the operation's error, or timed_out.
template <class Start, class Cancel>
boost::system::error_code run_until(boost::asio::io_context& io, Clock::time_point deadline,
                                    Start&& start, Cancel&& cancel) {
  bool done = false;
  boost::system::error_code result;
  std::forward<Start>(start)([&](boost::system::error_code ec, auto&&...) {
    done = true;
    result = ec;
  });
  io.restart();
  if (Clock::now() < deadline) io.run_until(deadline);
  if (!done) {
    cancel();
    io.restart();
    io.run();  // the cancelled operation's handler
    return boost::asio::error::timed_out;
  }
  return result;
}

}  // namespace pw::scan::detail
