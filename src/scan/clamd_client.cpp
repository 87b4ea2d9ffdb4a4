// F-AV: clamd's INSTREAM and PING over a blocking socket, every step bounded by poll() against a
// connect timeout and one overall deadline (see clamd_client.hpp for why it is hand-written).
#include "scan/clamd_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "mail/printable.hpp"
#include "util/host_port.hpp"
#include "util/unique_fd.hpp"

namespace pw::scan {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kMaxReply = 4096;
constexpr size_t kMaxSignature = 200;

std::string errno_text(int e) { return std::strerror(e); }

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::clamp<int64_t>(left.count(), 0, 24 * 3600 * 1000));
}

// What happened while waiting on a socket.
enum class Wait { kReady, kTimeout, kError };

Wait wait_for(int fd, short events, Clock::time_point deadline, short* revents) {
  for (;;) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, remaining_ms(deadline));
    if (n > 0) {
      *revents = p.revents;
      return Wait::kReady;
    }
    if (n == 0) return Wait::kTimeout;
    if (errno != EINTR) return Wait::kError;
  }
}

// A non-blocking connect to one address, bounded by `deadline`.
Result<util::UniqueFd> connect_one(const sockaddr* addr, socklen_t len, int family,
                                   Clock::time_point deadline, int64_t connect_timeout_ms) {
  util::UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return fail("cannot create a socket: " + errno_text(errno));
  int r;
  do r = ::connect(fd.get(), addr, len);
  while (r != 0 && errno == EINTR);
  if (r == 0) return fd;
  if (errno == EAGAIN) return fail("cannot connect to clamd: its listen queue is full");
  if (errno != EINPROGRESS) return fail("cannot connect to clamd: " + errno_text(errno));
  short revents = 0;
  Wait w = wait_for(fd.get(), POLLOUT, deadline, &revents);
  if (w == Wait::kTimeout)
    return fail(fmt::format("connecting to clamd timed out after {} ms", connect_timeout_ms));
  if (w == Wait::kError) return fail("cannot connect to clamd: " + errno_text(errno));
  int error = 0;
  socklen_t error_len = sizeof error;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &error_len) != 0) error = errno;
  if (error != 0) return fail("cannot connect to clamd: " + errno_text(error));
  return fd;
}

Result<util::UniqueFd> connect_clamd(const ClamdOptions& o, Clock::time_point deadline) {
  auto address = parse_clamd_address(o.address);
  if (!address) return tl::unexpected(address.error());
  auto connect_deadline =
      std::min(deadline, Clock::now() + std::chrono::milliseconds(o.connect_timeout_ms));
  if (address->unix_socket) {
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::memcpy(sun.sun_path, address->path.data(), address->path.size());
    return connect_one(reinterpret_cast<const sockaddr*>(&sun), sizeof sun, AF_UNIX,
                       connect_deadline, o.connect_timeout_ms);
  }
  // A numeric address or a name from /etc/hosts in practice; a DNS name here would be looked up
  // without our deadline (getaddrinfo has none).
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  int gai = ::getaddrinfo(address->host.c_str(), address->port.c_str(), &hints, &found);
  if (gai != 0)
    return fail(
        fmt::format("cannot resolve clamd host {}: {}", address->host, ::gai_strerror(gai)));
  Result<util::UniqueFd> last = fail("cannot connect to clamd: no address");
  for (auto* ai = found; ai; ai = ai->ai_next) {
    last = connect_one(ai->ai_addr, ai->ai_addrlen, ai->ai_family, connect_deadline,
                       o.connect_timeout_ms);
    if (last) break;
  }
  ::freeaddrinfo(found);
  return last;
}

// Sending stops early when clamd speaks first (it answers "INSTREAM size limit exceeded" and
// closes while the client still sends); the reply is read either way.
enum class Sent { kAll, kPeerSpoke, kTimeout };

Result<Sent> send_bytes(int fd, const char* data, size_t size, Clock::time_point deadline) {
  while (size > 0) {
    short revents = 0;
    Wait w = wait_for(fd, POLLOUT | POLLIN, deadline, &revents);
    if (w == Wait::kTimeout) return Sent::kTimeout;
    if (w == Wait::kError) return fail("waiting for clamd failed: " + errno_text(errno));
    if (revents & (POLLIN | POLLHUP | POLLERR)) return Sent::kPeerSpoke;
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      if (errno == EPIPE || errno == ECONNRESET) return Sent::kPeerSpoke;
      return fail("sending to clamd failed: " + errno_text(errno));
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Sent::kAll;
}

// Reads one NUL-terminated reply (or up to end of stream).
Result<std::string> read_reply(int fd, Clock::time_point deadline, int64_t timeout_ms) {
  std::string reply;
  char buffer[1024];
  while (reply.size() < kMaxReply) {
    short revents = 0;
    Wait w = wait_for(fd, POLLIN, deadline, &revents);
    if (w == Wait::kTimeout)
      return fail(fmt::format("clamd did not answer within {} ms", timeout_ms));
    if (w == Wait::kError) return fail("waiting for clamd failed: " + errno_text(errno));
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      if (errno == ECONNRESET && !reply.empty()) break;
      return fail("reading from clamd failed: " + errno_text(errno));
    }
    if (n == 0) break;
    reply.append(buffer, static_cast<size_t>(n));
    if (reply.find('\0') != std::string::npos) break;
  }
  if (reply.empty()) return fail("clamd closed the connection without a reply");
  auto nul = reply.find('\0');
  if (nul != std::string::npos) reply.resize(nul);
  return reply;
}

int64_t elapsed_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

VirusScan failure(std::string error, Clock::time_point start) {
  VirusScan s;
  s.status = VirusStatus::kError;
  s.error = std::move(error);
  s.elapsed_ms = elapsed_since(start);
  return s;
}

}  // namespace

ClamdOptions ClamdOptions::from(const config::ClamdConfig& c) {
  ClamdOptions o;
  o.address = c.socket;
  o.connect_timeout_ms = c.connect_timeout_ms;
  o.timeout_ms = c.timeout_ms;
  o.max_stream_bytes = static_cast<uint64_t>(c.max_stream_bytes);
  o.chunk_bytes = static_cast<uint64_t>(c.chunk_bytes);
  return o;
}

std::string_view to_string(VirusStatus status) {
  switch (status) {
    case VirusStatus::kClean:
      return "clean";
    case VirusStatus::kInfected:
      return "infected";
    case VirusStatus::kError:
      return "error";
  }
  return "error";
}

Result<ClamdAddress> parse_clamd_address(std::string_view address) {
  ClamdAddress a;
  if (address.empty()) return fail("the clamd address is empty");
  if (address.front() == '/') {
    if (address.size() >= sizeof(sockaddr_un::sun_path))
      return fail(fmt::format("clamd socket path is longer than {} bytes",
                              sizeof(sockaddr_un::sun_path) - 1));
    if (address.find('\0') != std::string_view::npos)
      return fail("clamd socket path contains a NUL byte");
    a.path = std::string(address);
    return a;
  }
  a.unix_socket = false;
  auto split = util::split_host_port(address);
  if (!split && split.error() == util::HostPortError::kBadPort)
    return fail(fmt::format("clamd address \"{}\": the port must be 1..65535",
                            mail::printable_text(address, 200)));
  if (!split)
    return fail(
        fmt::format("clamd address \"{}\" is neither an absolute socket path nor "
                    "host:port",
                    mail::printable_text(address, 200)));
  const std::string_view host = split->host;
  const bool bracketed = address.front() == '[';
  auto host_char = [bracketed](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
           c == '-' || c == '_' || (bracketed && c == ':');
  };
  if (host.empty() || !std::all_of(host.begin(), host.end(), host_char))
    return fail(fmt::format("clamd address \"{}\": bad host", mail::printable_text(address, 200)));
  a.host = std::string(host);
  a.port = std::to_string(split->port);
  return a;
}

VirusScan parse_instream_reply(std::string_view reply) {
  while (!reply.empty() && (reply.back() == '\0' || reply.back() == '\n' || reply.back() == '\r' ||
                            reply.back() == ' '))
    reply.remove_suffix(1);
  std::string_view body = reply;
  constexpr std::string_view kPrefix = "stream: ";
  if (body.substr(0, kPrefix.size()) == kPrefix) body.remove_prefix(kPrefix.size());
  VirusScan s;
  constexpr std::string_view kFound = " FOUND";
  constexpr std::string_view kError = " ERROR";
  auto ends_with = [&](std::string_view suffix) {
    return body.size() >= suffix.size() && body.substr(body.size() - suffix.size()) == suffix;
  };
  if (body == "OK") {
    s.status = VirusStatus::kClean;
  } else if (ends_with(kFound) && body.size() > kFound.size()) {
    s.status = VirusStatus::kInfected;
    s.signature = mail::printable_text(body.substr(0, body.size() - kFound.size()), kMaxSignature);
  } else if (ends_with(kError) || body == "ERROR") {
    std::string_view what =
        body == "ERROR" ? std::string_view() : body.substr(0, body.size() - kError.size());
    while (!what.empty() && (what.back() == '.' || what.back() == ':')) what.remove_suffix(1);
    s.error = "clamd: " + (what.empty() ? std::string("error") : mail::printable_text(what, 200));
  } else {
    s.error = "unexpected reply from clamd: \"" + mail::printable_text(reply, 200) + "\"";
  }
  return s;
}

VirusScan clamd_scan(const ClamdOptions& o, std::string_view data) {
  return clamd_scan(o, mail::MessageContent{data, {}});
}

namespace {

// INSTREAM chunks of at most `chunk` bytes out of `piece`; false once a send did not go through.
bool send_chunks(int fd, std::string_view piece, size_t chunk, Clock::time_point deadline,
                 Result<Sent>& sent) {
  while (!piece.empty()) {
    const size_t n = std::min(chunk, piece.size());
    uint32_t length = htonl(static_cast<uint32_t>(n));
    sent = send_bytes(fd, reinterpret_cast<const char*>(&length), sizeof length, deadline);
    if (!sent || *sent != Sent::kAll) return false;
    sent = send_bytes(fd, piece.data(), n, deadline);
    if (!sent || *sent != Sent::kAll) return false;
    piece.remove_prefix(n);
  }
  return true;
}

}  // namespace

VirusScan clamd_scan(const ClamdOptions& o, const mail::MessageContent& message) {
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::milliseconds(o.timeout_ms);
  if (message.size() > o.max_stream_bytes)
    return failure(fmt::format("message of {} bytes is larger than [clamd] max_stream_bytes ({})",
                               message.size(), o.max_stream_bytes),
                   start);
  auto fd = connect_clamd(o, deadline);
  if (!fd) return failure(fd.error().message, start);

  static constexpr char kCommand[] = "zINSTREAM";  // sent with its NUL
  Result<Sent> sent = send_bytes(fd->get(), kCommand, sizeof kCommand, deadline);
  const size_t chunk = static_cast<size_t>(std::max<uint64_t>(o.chunk_bytes, 1));
  bool ended = false;  // the zero-length chunk went out
  if (sent && *sent == Sent::kAll) {
    // A body kept in a file is read in pieces of the chunk size (issue 17 item 4).
    auto read = message.for_each_piece(chunk, [&](std::string_view piece) {
      return send_chunks(fd->get(), piece, chunk, deadline, sent);
    });
    if (!read) return failure(read.error().message, start);
  }
  if (sent && *sent == Sent::kAll) {
    const uint32_t end = 0;
    sent = send_bytes(fd->get(), reinterpret_cast<const char*>(&end), sizeof end, deadline);
    ended = sent && *sent == Sent::kAll;
  }
  if (!sent) return failure(sent.error().message, start);
  if (*sent == Sent::kTimeout)
    return failure(fmt::format("clamd did not take the message within {} ms", o.timeout_ms), start);
  auto reply = read_reply(fd->get(), deadline, o.timeout_ms);
  if (!reply) return failure(reply.error().message, start);
  VirusScan s = parse_instream_reply(*reply);
  if (!ended && s.status != VirusStatus::kError)  // a verdict on part of the message is none
    s = failure("clamd answered before the whole message was sent: \"" +
                    mail::printable_text(*reply, 200) + "\"",
                start);
  s.elapsed_ms = elapsed_since(start);
  return s;
}

Result<void> clamd_ping(const ClamdOptions& o) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(o.timeout_ms);
  auto fd = connect_clamd(o, deadline);
  if (!fd) return tl::unexpected(fd.error());
  static constexpr char kCommand[] = "zPING";
  auto sent = send_bytes(fd->get(), kCommand, sizeof kCommand, deadline);
  if (!sent) return tl::unexpected(sent.error());
  if (*sent == Sent::kTimeout)
    return fail(fmt::format("clamd did not take PING within {} ms", o.timeout_ms));
  auto reply = read_reply(fd->get(), deadline, o.timeout_ms);
  if (!reply) return tl::unexpected(reply.error());
  std::string_view r = *reply;
  while (!r.empty() && (r.back() == '\n' || r.back() == '\r')) r.remove_suffix(1);
  if (r != "PONG") return fail("clamd answered PING with \"" + mail::printable_text(r, 200) + "\"");
  return {};
}

}  // namespace pw::scan
