// rspamd /checkv2 over HTTP/1.1: see rspamd_client.hpp.
#include "scan/rspamd_client.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <charconv>
#include <nlohmann/json.hpp>

#include "scan/deadline_io.hpp"

namespace pw::scan {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;
using detail::Clock;

constexpr std::size_t kMaxReplyBytes = 4 * 1024 * 1024;

std::string one_line(std::string_view text, std::size_t max = 200) {
  std::string out;
  for (char c : text.substr(0, max)) out += (c == '\r' || c == '\n' || c == '\t') ? ' ' : c;
  return out;
}

ScannerResult failed(std::string error) {
  ScannerResult r;
  r.scanner = "rspamd";
  r.outcome = ScanOutcome::kFailed;
  r.error = std::move(error);
  return r;
}

std::string describe(const boost::system::error_code& ec, std::chrono::milliseconds limit) {
  if (ec == asio::error::timed_out) return fmt::format("timed out after {} ms", limit.count());
  return ec.message();
}

}  // namespace

Result<ScannerResult> parse_rspamd_reply(std::string_view json,
                                         const std::vector<std::string>& spam_actions) {
  auto doc = nlohmann::json::parse(json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return fail("the reply is not a JSON object");
  if (auto e = doc.find("error"); e != doc.end() && e->is_string())
    return fail("rspamd error: " + one_line(e->get<std::string>()));
  auto score = doc.find("score");
  auto required = doc.find("required_score");
  auto action = doc.find("action");
  if (score == doc.end() || !score->is_number()) return fail("the reply has no score");
  if (action == doc.end() || !action->is_string()) return fail("the reply has no action");
  ScannerResult r;
  r.scanner = "rspamd";
  r.outcome = ScanOutcome::kScanned;
  r.score = score->get<double>();
  if (required != doc.end() && required->is_number()) r.required = required->get<double>();
  r.action = action->get<std::string>();
  r.spam = std::find(spam_actions.begin(), spam_actions.end(), r.action) != spam_actions.end();
  if (auto symbols = doc.find("symbols"); symbols != doc.end() && symbols->is_object()) {
    for (const auto& [name, value] : symbols->items()) {
      if (name.empty()) continue;  // a symbol needs a name to be a reason (fuzz_scanner_replies)
      ScanSymbol s{name, 0};
      if (value.is_object()) {
        if (auto sc = value.find("score"); sc != value.end() && sc->is_number())
          s.score = sc->get<double>();
      }
      r.symbols.push_back(std::move(s));
    }
  }
  std::stable_sort(r.symbols.begin(), r.symbols.end(),
                   [](const ScanSymbol& a, const ScanSymbol& b) { return a.score > b.score; });
  return r;
}

namespace {

// POST /checkv2 with the envelope in rspamd's headers (IP, Helo, From, Rcpt, User, Queue-Id).
http::request<http::string_body> checkv2_request(const config::HttpEndpoint& ep,
                                                 const std::string& where,
                                                 const ScanEnvelope& envelope,
                                                 std::string_view message) {
  http::request<http::string_body> request{http::verb::post, ep.base_path + "/checkv2", 11};
  request.set(http::field::host, where);
  request.set(http::field::user_agent, "postwarden");
  request.set(http::field::connection, "close");
  if (!envelope.client_ip.empty()) request.set("IP", envelope.client_ip);
  if (!envelope.helo.empty()) request.set("Helo", envelope.helo);
  request.set("From", envelope.mail_from.empty() ? "<>" : envelope.mail_from);
  for (const auto& rcpt : envelope.rcpt_to) request.insert("Rcpt", rcpt);
  if (!envelope.user.empty()) request.set("User", envelope.user);
  if (!envelope.queue_id.empty()) request.set("Queue-Id", envelope.queue_id);
  request.body() = std::string(message);
  request.prepare_payload();
  return request;
}

}  // namespace

ScannerResult scan_rspamd(std::string_view message, const ScanEnvelope& envelope,
                          const RspamdOptions& options) {
  auto started = Clock::now();
  auto finish = [&](ScannerResult r) {
    r.accept_on_failure = options.accept_on_failure;
    r.elapsed_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
    return r;
  };
  if (message.size() > options.max_bytes)
    return finish(skipped_for_size("rspamd", message.size(), options.max_bytes));
  const auto& ep = options.endpoint;
  std::string where = ep.host.find(':') != std::string::npos
                          ? fmt::format("[{}]:{}", ep.host, ep.port)
                          : fmt::format("{}:{}", ep.host, ep.port);
  auto deadline = started + options.timeout;
  try {
    asio::io_context io;
    tcp::resolver resolver(io);
    boost::system::error_code ec;
    auto endpoints =
        resolver.resolve(ep.host, std::to_string(ep.port), tcp::resolver::numeric_service, ec);
    if (ec) return finish(failed(fmt::format("cannot resolve {}: {}", ep.host, ec.message())));
    tcp::socket socket(io);
    auto close = [&] {
      boost::system::error_code ignored;
      socket.close(ignored);
    };
    auto connect_deadline = std::min(deadline, started + options.connect_timeout);
    ec = detail::run_until(
        io, connect_deadline, [&](auto h) { asio::async_connect(socket, endpoints, h); }, close);
    if (ec)
      return finish(failed(
          fmt::format("cannot connect to {}: {}", where, describe(ec, options.connect_timeout))));

    auto request = checkv2_request(ep, where, envelope, message);
    ec = detail::run_until(
        io, deadline, [&](auto h) { http::async_write(socket, request, h); }, close);
    if (ec)
      return finish(failed(fmt::format("sending to {}: {}", where, describe(ec, options.timeout))));

    boost::beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxReplyBytes);
    ec = detail::run_until(
        io, deadline, [&](auto h) { http::async_read(socket, buffer, parser, h); }, close);
    if (ec)
      return finish(
          failed(fmt::format("reading from {}: {}", where, describe(ec, options.timeout))));
    const auto& response = parser.get();
    if (response.result_int() != 200)
      return finish(failed(fmt::format("{} answered HTTP {}: {}", where, response.result_int(),
                                       one_line(response.body()))));
    auto parsed = parse_rspamd_reply(response.body(), options.spam_actions);
    if (!parsed) return finish(failed(fmt::format("{}: {}", where, parsed.error().message)));
    return finish(std::move(*parsed));
  } catch (const std::exception& e) {
    return finish(failed(fmt::format("{}: {}", where, one_line(e.what()))));
  }
}

}  // namespace pw::scan
