// SPAMC/1.5 REPORT exchange with spamd: see spamd_client.hpp.
#include "scan/spamd_client.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "scan/deadline_io.hpp"
#include "util/ascii_text.hpp"

namespace pw::scan {
namespace {

namespace asio = boost::asio;
using detail::Clock;

constexpr std::size_t kMaxReplyBytes = 1024 * 1024;

std::string one_line(std::string_view text, std::size_t max = 200) {
  std::string out;
  for (char c : text.substr(0, max)) out += (c == '\r' || c == '\n' || c == '\t') ? ' ' : c;
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool parse_double(std::string_view text, double& out) {
  text = trim(text);
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && std::isfinite(out);
}

bool iequals(std::string_view a, std::string_view b) { return util::ascii_iequals(a, b); }

// Splits `text` into lines (LF or CRLF).
std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

ScannerResult failed(std::string error) {
  ScannerResult r;
  r.scanner = "spamd";
  r.outcome = ScanOutcome::kFailed;
  r.error = std::move(error);
  return r;
}

std::string describe(const boost::system::error_code& ec, std::chrono::milliseconds limit) {
  if (ec == asio::error::timed_out) return fmt::format("timed out after {} ms", limit.count());
  return ec.message();
}

// Connect, send, read to the end: the same for TCP and Unix sockets.
template <class Socket, class Endpoints>
ScannerResult exchange(asio::io_context& io, Socket& socket, const Endpoints& endpoints,
                       const std::string& request, std::string_view message,
                       const SpamdOptions& options, Clock::time_point started,
                       const std::string& where) {
  auto deadline = started + options.timeout;
  auto close = [&] {
    boost::system::error_code ignored;
    socket.close(ignored);
  };
  auto ec = detail::run_until(
      io, std::min(deadline, started + options.connect_timeout),
      [&](auto h) { asio::async_connect(socket, endpoints, h); }, close);
  if (ec)
    return failed(
        fmt::format("cannot connect to {}: {}", where, describe(ec, options.connect_timeout)));
  std::array<asio::const_buffer, 2> out{asio::buffer(request),
                                        asio::buffer(message.data(), message.size())};
  ec = detail::run_until(
      io, deadline, [&](auto h) { asio::async_write(socket, out, h); }, close);
  if (ec) return failed(fmt::format("sending to {}: {}", where, describe(ec, options.timeout)));
  asio::streambuf reply(kMaxReplyBytes);
  ec = detail::run_until(
      io, deadline, [&](auto h) { asio::async_read(socket, reply, h); }, close);
  if (ec && ec != asio::error::eof)
    return failed(fmt::format("reading from {}: {}", where,
                              ec == asio::error::not_found ? std::string("reply too long")
                                                           : describe(ec, options.timeout)));
  std::string_view text(static_cast<const char*>(reply.data().data()), reply.size());
  auto parsed = parse_spamd_reply(text);
  if (!parsed) return failed(fmt::format("{}: {}", where, parsed.error().message));
  return std::move(*parsed);
}

}  // namespace

Result<ScannerResult> parse_spamd_reply(std::string_view reply) {
  auto lines = lines_of(reply);
  if (lines.empty()) return fail("empty reply");
  // "SPAMD/1.1 0 EX_OK"
  std::string_view status = lines.front();
  if (status.substr(0, 6) != "SPAMD/") return fail("not a spamd reply: " + one_line(status));
  auto sp = status.find(' ');
  std::string_view code = sp == std::string_view::npos ? "" : trim(status.substr(sp + 1));
  if (code.substr(0, 2) != "0 ") return fail("spamd error: " + one_line(code));
  ScannerResult r;
  r.scanner = "spamd";
  r.outcome = ScanOutcome::kScanned;
  bool have_spam_line = false;
  std::size_t i = 1;
  for (; i < lines.size() && !lines[i].empty(); ++i) {
    auto colon = lines[i].find(':');
    if (colon == std::string_view::npos) continue;
    if (!iequals(trim(lines[i].substr(0, colon)), "Spam")) continue;
    // "True ; 15.2 / 5.0"
    std::string_view value = lines[i].substr(colon + 1);
    auto semi = value.find(';');
    auto slash = value.find('/');
    if (semi == std::string_view::npos || slash == std::string_view::npos || slash < semi)
      return fail("bad Spam header: " + one_line(lines[i]));
    std::string_view flag = trim(value.substr(0, semi));
    if (iequals(flag, "True") || iequals(flag, "Yes"))
      r.spam = true;
    else if (!iequals(flag, "False") && !iequals(flag, "No"))
      return fail("bad Spam header: " + one_line(lines[i]));
    if (!parse_double(value.substr(semi + 1, slash - semi - 1), r.score) ||
        !parse_double(value.substr(slash + 1), r.required))
      return fail("bad Spam header: " + one_line(lines[i]));
    have_spam_line = true;
  }
  if (!have_spam_line) return fail("the reply has no Spam header");
  r.action = r.spam ? "spam" : "ham";
  // The report: rule lines follow the "---- ----" ruler: " 1.2 RULE_NAME  description".
  bool table = false;
  for (++i; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (!table) {
      table = line.substr(0, 4) == "----";
      continue;
    }
    std::string_view t = trim(line);
    auto gap = t.find_first_of(" \t");
    if (gap == std::string_view::npos) continue;
    double points = 0;
    if (!parse_double(t.substr(0, gap), points)) continue;  // a description continued
    std::string_view rest = trim(t.substr(gap));
    std::string_view name = rest.substr(0, rest.find_first_of(" \t"));
    bool is_name = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
    if (is_name) r.symbols.push_back({std::string(name), points});
  }
  std::stable_sort(r.symbols.begin(), r.symbols.end(),
                   [](const ScanSymbol& a, const ScanSymbol& b) { return a.score > b.score; });
  return r;
}

ScannerResult scan_spamd(std::string_view message, const ScanEnvelope& envelope,
                         const SpamdOptions& options) {
  auto started = Clock::now();
  auto finish = [&](ScannerResult r) {
    r.accept_on_failure = options.accept_on_failure;
    r.elapsed_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
    return r;
  };
  if (message.size() > options.max_bytes)
    return finish(skipped_for_size("spamd", message.size(), options.max_bytes));
  std::string where = options.address.text();
  std::string request = fmt::format("REPORT SPAMC/1.5\r\nContent-length: {}\r\n", message.size());
  // The User header names whose preferences spamd applies; a line break in it would end the
  // header section early, so such a name is not sent.
  if (!envelope.user.empty() && envelope.user.find_first_of("\r\n") == std::string::npos)
    request += fmt::format("User: {}\r\n", envelope.user);
  request += "\r\n";
  try {
    asio::io_context io;
    if (!options.address.unix_path.empty()) {
      asio::local::stream_protocol::socket socket(io);
      std::array endpoints{asio::local::stream_protocol::endpoint(options.address.unix_path)};
      return finish(exchange(io, socket, endpoints, request, message, options, started, where));
    }
    asio::ip::tcp::resolver resolver(io);
    boost::system::error_code ec;
    auto endpoints = resolver.resolve(options.address.host, std::to_string(options.address.port),
                                      asio::ip::tcp::resolver::numeric_service, ec);
    if (ec)
      return finish(
          failed(fmt::format("cannot resolve {}: {}", options.address.host, ec.message())));
    asio::ip::tcp::socket socket(io);
    return finish(exchange(io, socket, endpoints, request, message, options, started, where));
  } catch (const std::exception& e) {
    return finish(failed(fmt::format("{}: {}", where, one_line(e.what()))));
  }
}

}  // namespace pw::scan
