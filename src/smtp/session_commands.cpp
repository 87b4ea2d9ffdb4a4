// Command dispatch and the verbs that need no policy: EHLO/HELO, RSET, NOOP, the checks of MAIL's
// syntax and parameters.
// Part of the Session class of smtp/session.hpp (one file per phase, issue 16 item 4).
#include <fmt/format.h>

#include "mail/name_syntax.hpp"
#include "smtp/command_parser.hpp"
#include "smtp/session.hpp"

namespace pw::smtp::detail {

awaitable<Flow> Session::dispatch(const std::string& line) {
  ParsedCommand parsed = parse_command(line);
  const Command& command = parsed.command;
  if (command.verb != Verb::kAuth &&
      line.size() + 2 > static_cast<size_t>(limits_.max_command_line_length)) {
    send_error(Reply(500, "5.5.2", "Line too long"));
    co_return Flow::kContinue;
  }
  if (parsed.error) {
    send_error(Reply(parsed.error->code, parsed.error->enhanced, parsed.error->text));
    co_return Flow::kContinue;
  }
  // The verbs that wait for I/O are kept out of the switch: GCC 12 miscompiles co_await
  // inside a switch statement (the resumed frame loses `this`).
  if (command.verb == Verb::kData) {
    Flow flow = co_await on_data();
    co_return flow;
  }
  if (command.verb == Verb::kStartTls) {
    Flow flow = co_await on_starttls();
    co_return flow;
  }
  if (command.verb == Verb::kAuth && inbound_) {  // F-BATV: no AUTH on the bounce listener
    send_error(Reply(502, "5.5.1", "AUTH is not offered on this listener"));
    co_return Flow::kContinue;
  }
  if (command.verb == Verb::kAuth) {
    Flow flow = co_await on_auth(command);
    co_return flow;
  }
  if (command.verb == Verb::kMail) {
    co_await on_mail(command);
    co_return Flow::kContinue;
  }
  co_return on_simple_command(command);
}

Flow Session::on_simple_command(const Command& command) {
  switch (command.verb) {
    case Verb::kEhlo:
      on_hello(command, true);
      break;
    case Verb::kHelo:
      on_hello(command, false);
      break;
    case Verb::kMail:
    case Verb::kRcpt:
      on_rcpt(command);
      break;
    case Verb::kRset:
      reset_transaction();
      send(Reply(250, "2.0.0", "Ok"));
      break;
    case Verb::kNoop:
      send(Reply(250, "2.0.0", "Ok"));
      break;
    case Verb::kQuit:
      send(Reply(221, "2.0.0", "Bye"));
      return Flow::kClose;
    case Verb::kVrfy:
      send(Reply(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery"));
      break;
    case Verb::kHelp:
      send(Reply(214, "2.0.0",
                 "Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP STARTTLS AUTH"));
      break;
    case Verb::kData:
    case Verb::kStartTls:
    case Verb::kAuth:
      break;
    case Verb::kUnknown:
      send_error(Reply(500, "5.5.1", "Command not recognized"));
      break;
  }
  return Flow::kContinue;
}

void Session::on_hello(const Command& command, bool extended) {
  reset_transaction();
  helo_ = printable(command.argument, 255);
  extended_ = extended;
  if (!extended) {
    send(Reply(250, "", ctx_.hostname));
    return;
  }
  std::vector<std::string> lines = {
      fmt::format("{} Hello {} [{}]", ctx_.hostname, helo_, client_ip_), "PIPELINING",
      fmt::format("SIZE {}", limits_.max_message_size), "8BITMIME", "ENHANCEDSTATUSCODES"};
  if (!tls_) lines.emplace_back("STARTTLS");
  if (auth_offered()) lines.emplace_back("AUTH PLAIN LOGIN");
  if (limits_.smtputf8) lines.emplace_back("SMTPUTF8");
  lines.emplace_back("HELP");
  // RFC 2034 section 3: no enhanced codes on the greeting and the EHLO/HELO replies.
  send(Reply(250, "", lines));
}

void Session::reset_transaction() {
  in_transaction_ = false;
  mail_from_.clear();
  recipients_.clear();
  mail_params_ = MailParams{};
  transaction_sender_.reset();
  txn_ = policy::Transaction{};
}

std::optional<Reply> Session::check_mail(const Command& command) const {
  if (helo_.empty()) return Reply(503, "5.5.1", "Send EHLO or HELO first");
  if (in_transaction_) return Reply(503, "5.5.1", "Nested MAIL command");
  const MailParams& params = command.mail;
  if (params.smtputf8 && !limits_.smtputf8) return Reply(555, "5.5.4", "SMTPUTF8 is not offered");
  if (!command.path.empty()) {
    if (!params.smtputf8 && !is_ascii(command.path))
      return Reply(553, "5.6.7", "Non-ASCII address needs SMTPUTF8");
    if (auto e = mailbox_syntax_error(command.path, params.smtputf8))
      return Reply(553, "5.1.7", "Bad sender address syntax: " + *e);
  }
  if (params.size && *params.size > static_cast<uint64_t>(limits_.max_message_size))
    return Reply(552, "5.3.4", "Message size exceeds fixed maximum message size");
  return std::nullopt;
}

}  // namespace pw::smtp::detail
