// AUTH PLAIN and LOGIN (RFC 4954): the SASL exchange, bounded lines, and the password check on
// the worker pool, with the brute-force guard's delay and ban.
// SECURITY: credentials are wiped from memory once checked.
// Part of the Session class of smtp/session.hpp (one file per phase, issue 16 item 4).
#include <sodium.h>
#include <spdlog/spdlog.h>

#include "auth/password.hpp"
#include "auth/sasl.hpp"
#include "obs/metrics.hpp"
#include "smtp/session.hpp"
#include "util/ascii_text.hpp"
#include "util/base64.hpp"
#include "util/blocking.hpp"

namespace pw::smtp::detail {

// Reads a SASL response line; nullopt when the client cancelled ("*") or vanished.
awaitable<std::optional<std::string>> Session::read_sasl_response(bool& connection_lost) {
  std::string line;
  LineStatus status = co_await read_line(static_cast<size_t>(limits_.max_auth_line_length), line);
  if (status == LineStatus::kTooLong) {
    obs::metrics().count(obs::Outcome::kAuthMalformed);
    send_error(Reply(500, "5.5.6", "Authentication exchange line is too long"));
    co_return std::nullopt;
  }
  if (status != LineStatus::kLine) {
    connection_lost = true;
    co_return std::nullopt;
  }
  if (line == "*") {
    obs::metrics().count(obs::Outcome::kAuthCancelled);
    send_error(Reply(501, "5.7.0", "Authentication cancelled"));
    co_return std::nullopt;
  }
  co_return line;
}

awaitable<Flow> Session::on_auth(const Command& command) {
  if (auto refused = auth_refusal()) co_return *refused;
  std::string_view argument = command.argument;
  size_t space = argument.find(' ');
  std::string mechanism = util::ascii_lowercase(argument.substr(0, space));
  std::string initial =
      space == std::string_view::npos ? std::string() : std::string(argument.substr(space + 1));
  if (initial.find(' ') != std::string::npos) {
    obs::metrics().count(obs::Outcome::kAuthMalformed);
    send_error(Reply(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]"));
    co_return Flow::kContinue;
  }
  bool lost = false;
  std::optional<Credentials> credentials;
  if (mechanism == "plain") {
    credentials = co_await read_plain(std::move(initial), lost);
  } else if (mechanism == "login") {
    credentials = co_await read_login(initial, lost);
  } else {
    obs::metrics().count(obs::Outcome::kAuthUnknownMechanism);
    send_error(Reply(504, "5.5.4", "Unrecognized authentication mechanism"));
    co_return Flow::kContinue;
  }
  if (!credentials) co_return lost ? Flow::kClose : Flow::kContinue;
  Flow flow = co_await verify_credentials(credentials->username, credentials->password);
  co_return flow;
}

std::optional<Flow> Session::auth_refusal() {
  if (!extended_) {
    send_error(Reply(503, "5.5.1", "Send EHLO first"));
    return Flow::kContinue;
  }
  if (auth_sender_) {
    send_error(Reply(503, "5.5.1", "Already authenticated"));
    return Flow::kContinue;
  }
  if (in_transaction_) {
    send_error(Reply(503, "5.5.1", "AUTH not permitted during a mail transaction"));
    return Flow::kContinue;
  }
  if (!auth_offered()) {
    obs::metrics().count(obs::Outcome::kAuthEncryptionRequired);
    send_error(Reply(538, "5.7.11", "Encryption required for requested authentication mechanism"));
    return Flow::kContinue;
  }
  if (ctx_.guard->is_banned(client_ip_)) {
    obs::metrics().count(obs::Outcome::kAuthBanned);
    send(Reply(421, "4.7.0", "Too many failed authentication attempts; try again later"));
    return Flow::kClose;
  }
  return std::nullopt;
}

namespace {

// A SASL response: base64, or "=" for an empty one (RFC 4954 4).
std::optional<std::string> decode_response(const std::string& text) {
  if (text == "=") return std::string();
  return util::base64_decode(text);
}

}  // namespace

awaitable<std::optional<Session::Credentials>> Session::read_plain(std::string initial,
                                                                   bool& lost) {
  if (initial.empty()) {
    send(Reply(334, "", ""));
    auto response = co_await read_sasl_response(lost);
    if (!response) co_return std::nullopt;
    initial = *response;
  }
  auto decoded = decode_response(initial);
  auto plain = decoded ? auth::parse_plain(*decoded) : std::nullopt;
  if (decoded) sodium_memzero(decoded->data(), decoded->size());
  if (!plain) {
    obs::metrics().count(obs::Outcome::kAuthMalformed);
    send_error(Reply(501, "5.5.2", "Cannot decode the PLAIN response"));
    co_return std::nullopt;
  }
  if (!plain->authzid.empty() && plain->authzid != plain->username) {
    obs::metrics().count(obs::Outcome::kAuthMalformed);
    send_error(Reply(535, "5.7.8", "Authorization identity must be empty or the user itself"));
    sodium_memzero(plain->password.data(), plain->password.size());
    co_return std::nullopt;
  }
  co_return Credentials{std::move(plain->username), std::move(plain->password)};
}

awaitable<std::optional<Session::Credentials>> Session::read_login(const std::string& initial,
                                                                   bool& lost) {
  std::optional<std::string> user_text;
  if (!initial.empty()) {
    user_text = decode_response(initial);
  } else {
    send(Reply(334, "", "VXNlcm5hbWU6"));  // "Username:"
    auto response = co_await read_sasl_response(lost);
    if (!response) co_return std::nullopt;
    user_text = decode_response(*response);
  }
  if (!user_text || user_text->empty()) {
    obs::metrics().count(obs::Outcome::kAuthMalformed);
    send_error(Reply(501, "5.5.2", "Cannot decode the LOGIN user name"));
    co_return std::nullopt;
  }
  send(Reply(334, "", "UGFzc3dvcmQ6"));  // "Password:"
  auto response = co_await read_sasl_response(lost);
  if (!response) co_return std::nullopt;
  auto password_text = decode_response(*response);
  if (!password_text) {
    obs::metrics().count(obs::Outcome::kAuthMalformed);
    send_error(Reply(501, "5.5.2", "Cannot decode the LOGIN password"));
    co_return std::nullopt;
  }
  co_return Credentials{std::move(*user_text), std::move(*password_text)};
}

awaitable<Flow> Session::verify_credentials(const std::string& username, std::string& password) {
  auto directory = ctx_.directory.load();
  std::optional<auth::Login> login;
  if (directory) login = directory->find_login(username);
  if (!login && ctx_.refresh_senders) {
    auto* context = &ctx_;
    bool reloaded = co_await util::run_blocking(*ctx_.blocking,
                                                [context] { return context->refresh_senders(); });
    if (reloaded && (directory = ctx_.directory.load())) login = directory->find_login(username);
  }
  std::string hash = login ? login->password_hash : ctx_.dummy_password_hash;
  bool verified = co_await util::run_blocking(
      *ctx_.blocking, [hash, password] { return auth::verify_password(hash, password); });
  sodium_memzero(password.data(), password.size());
  if (verified && login) {
    auth_sender_ = login->sender;
    auth_user_ = username;
    slot_.mark_known();  // item 7: a known sender now, outside the unknown clients' share
    spdlog::info("event=auth result=ok client={} user={} kind={}", client_ip_, printable(username),
                 mail::to_string(login->sender.kind));
    send(Reply(235, "2.7.0", "Authentication successful"));
    co_return Flow::kContinue;
  }
  auto delay = ctx_.guard->record_failure(client_ip_);
  spdlog::info("event=auth result=failed client={} user={} delay_ms={}", client_ip_,
               printable(username), delay.count());
  if (!co_await flush()) co_return Flow::kClose;
  asio::steady_timer pause(executor_, delay);
  boost::system::error_code ec;
  co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
  if (ctx_.guard->is_banned(client_ip_)) {
    obs::metrics().count(obs::Outcome::kAuthBanned);
    send(Reply(421, "4.7.0", "Too many failed authentication attempts; try again later"));
    co_return Flow::kClose;
  }
  obs::metrics().count(obs::Outcome::kAuthInvalidCredentials);
  send_error(Reply(535, "5.7.8", "Authentication credentials invalid"));
  co_return Flow::kContinue;
}

}  // namespace pw::smtp::detail
