// One SMTP server session (RFC 5321, 3207, 4954, 2034, 1870, 6152, 6531) as a coroutine on the
// event loop that accepted it.
// SECURITY: talks to SMTP clients on the network; every line is bounded at the first read.
#pragma once
#include <boost/asio/ip/tcp.hpp>
#include <string>

#include "net/connection_limiter.hpp"

namespace pw::smtp {

struct ServerContext;

// kSubmission: outgoing users (AUTH, policy). kInbound (F-BATV): the bounce listener, which takes
// only null-sender mail to prvs= tagged addresses that verify, and no AUTH.
enum class SessionMode { kSubmission, kInbound };

// Starts a session on the socket's executor; it owns the socket and the limiter slot.
void start_session(ServerContext& context, boost::asio::ip::tcp::socket socket, bool implicit_tls,
                   net::ConnectionLimiter::Slot slot, SessionMode mode = SessionMode::kSubmission);

// An accepted connection: refused at once (banned IP, connection limits; each refusal counted in
// postwarden_connection_refusals_total) or given a session.
void accept_connection(ServerContext& context, boost::asio::ip::tcp::socket socket,
                       bool implicit_tls, SessionMode mode);

// Issue 15, item 7: is the client at `ip` a known sender (in an IP user's range)? Decides at
// connect time whether a session counts in the share of max_sessions unknown clients may take.
bool known_client(const ServerContext& context, const std::string& ip);

// Refuses a connection at greeting time with `reply_line` (CRLF added) and closes it. On an
// implicit-TLS listener the reply goes out over TLS after the handshake (issue 15, item 9).
void refuse_connection(ServerContext& context, boost::asio::ip::tcp::socket socket,
                       bool implicit_tls, std::string reply_line);

}  // namespace pw::smtp
