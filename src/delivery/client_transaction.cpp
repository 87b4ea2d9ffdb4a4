// One mail transaction on a delivery connection: MAIL, RCPT and DATA, pipelined in groups
// of at most max_pipelined_bytes when the server offers PIPELINING (RFC 2920), the message
// dot-stuffed and written in bounded chunks; RSET and QUIT.
// Part of SmtpClientConnection::Impl (delivery/client_connection.hpp), issue 16 item 4.
// SECURITY: talks to remote SMTP servers; every byte from them is untrusted.
#include <fmt/format.h>

#include "delivery/client_connection.hpp"
#include "delivery/dot_stuffer.hpp"

namespace pw::delivery {

awaitable<TransactionResult> SmtpClientConnection::Impl::send(const Transaction& transaction) {
  TransactionResult result;
  const size_t count = transaction.recipients.size();
  if (!usable()) {
    result.connection_lost = true;
    result.error = error_.empty() ? fmt::format("connection to {} is not usable", host_) : error_;
    result.rcpt_replies.assign(count, lost_reply(result.error));
    co_return result;
  }
  const uint64_t size =
      transaction.reader != nullptr
          ? transaction.reader->size() + (transaction.reader->ends_with_crlf() ? 0 : 2)
          : transaction.message.size() +
                (transaction.message.empty() || ends_with_crlf(transaction.message) ? 0 : 2);
  if (auto refusal = local_refusal(transaction, size)) {
    result.rcpt_replies.assign(count, *refusal);
    co_return result;
  }
  std::vector<std::optional<ServerReply>> rcpt(count);
  std::vector<Command> commands = envelope_commands(transaction, size, rcpt);
  if (commands.size() == 1) {  // no recipient left to send
    for (size_t i = 0; i < count; ++i) result.rcpt_replies.push_back(*rcpt[i]);
    co_return result;
  }
  const bool pipelining = extensions_.contains("PIPELINING");
  if (pipelining) commands.push_back({Command::kData, 0, "DATA\r\n"});
  std::vector<ServerReply> replies;
  const bool answered = co_await exchange(commands, pipelining, replies);
  if (!replies.empty()) result.mail_reply = replies[0];
  const bool mail_ok = !replies.empty() && replies[0].positive();
  std::optional<ServerReply> data_command_reply;
  const size_t accepted = assign_replies(commands, replies, rcpt, data_command_reply);
  for (size_t i = 0; i < count; ++i) result.rcpt_replies.push_back(std::move(*rcpt[i]));
  if (!answered) {
    result.connection_lost = !closing_;
    result.error = error_;
    if (closing_) {
      if (accepted > 0) result.data_reply = replies.back();
      close();
    }
    co_return result;
  }
  if (accepted == 0)
    co_return co_await end_empty_transaction(std::move(result), data_command_reply, mail_ok);
  co_return co_await send_data(std::move(result), transaction, std::move(data_command_reply),
                               pipelining);
}

// Checks that need no round trip: nothing is sent when one fails for every recipient.
std::optional<ServerReply> SmtpClientConnection::Impl::local_refusal(const Transaction& transaction,
                                                                     uint64_t size) const {
  if (has_control(transaction.mail_from))
    return local_reply(553, "5.1.7", "bad sender address syntax");
  // RFC 6531 section 3.4: no SMTPUTF8 at the server means the message cannot be relayed.
  if (transaction.smtputf8 && !extensions_.contains("SMTPUTF8"))
    return local_reply(553, "5.6.7", "remote server does not support SMTPUTF8");
  // RFC 1870 section 6.1: do not send what the server already said it will refuse.
  if (size_limit_ > 0 && size > size_limit_)
    return local_reply(552, "5.3.4",
                       fmt::format("message size {} exceeds size limit {} of server {}", size,
                                   size_limit_, host_));
  return std::nullopt;
}

// MAIL and one RCPT per sendable recipient; a recipient with control characters gets its
// refusal in `rcpt` instead (RFC 2920 section 3.1: DATA may end the group, added by the caller).
std::vector<SmtpClientConnection::Impl::Command> SmtpClientConnection::Impl::envelope_commands(
    const Transaction& transaction, uint64_t size,
    std::vector<std::optional<ServerReply>>& rcpt) const {
  std::string mail = fmt::format("MAIL FROM:<{}>", transaction.mail_from);
  if (extensions_.contains("SIZE")) mail += fmt::format(" SIZE={}", size);
  // RFC 6152 section 3: 8-bit data to a server without 8BITMIME is to be bounced or
  // downgraded; like most MTAs we pass it through unchanged and let the server decide.
  if (transaction.eight_bit && extensions_.contains("8BITMIME")) mail += " BODY=8BITMIME";
  if (transaction.smtputf8) mail += " SMTPUTF8";
  mail += "\r\n";
  std::vector<Command> commands{{Command::kMail, 0, std::move(mail)}};
  for (size_t i = 0; i < transaction.recipients.size(); ++i) {
    if (has_control(transaction.recipients[i]))
      rcpt[i] = local_reply(553, "5.1.3", "bad recipient address syntax");
    else
      commands.push_back(
          {Command::kRcpt, i, fmt::format("RCPT TO:<{}>\r\n", transaction.recipients[i])});
  }
  return commands;
}

// Each recipient's reply from the exchange; returns how many were accepted.
size_t SmtpClientConnection::Impl::assign_replies(const std::vector<Command>& commands,
                                                  const std::vector<ServerReply>& replies,
                                                  std::vector<std::optional<ServerReply>>& rcpt,
                                                  std::optional<ServerReply>& data_command_reply) {
  const bool mail_ok = !replies.empty() && replies[0].positive();
  size_t accepted = 0;
  for (size_t k = 1; k < commands.size(); ++k) {
    const Command& command = commands[k];
    std::optional<ServerReply> reply;
    if (k < replies.size()) reply = replies[k];
    if (command.kind == Command::kData) {
      data_command_reply = reply;
      continue;
    }
    // A refused MAIL decides every recipient, whatever the pipelined RCPTs got (503).
    if (!replies.empty() && !mail_ok) reply = replies[0];
    // After a 421 no more replies come: it stands for the commands left unanswered.
    if (!reply && closing_ && !replies.empty()) reply = replies.back();
    if (!reply) reply = lost_reply(error_);
    if (reply->positive()) ++accepted;
    rcpt[command.index] = std::move(*reply);
  }
  return accepted;
}

// Nothing to deliver. A server that still said 354 to a pipelined DATA gets an empty body to end
// it; then RSET closes the transaction so the connection can be reused.
awaitable<TransactionResult> SmtpClientConnection::Impl::end_empty_transaction(
    TransactionResult result, const std::optional<ServerReply>& data_command_reply, bool mail_ok) {
  if (data_command_reply && data_command_reply->code == 354) {
    phase_ = "sending end of data";
    if (!co_await write(".\r\n", options_.data_block_timeout) ||
        !co_await read_reply(options_.data_end_timeout))
      co_return lost(std::move(result));
  }
  if (mail_ok) co_await reset();
  co_return finished(std::move(result));
}

// DATA (unless pipelined with the envelope), the message, and the reply after ".".
awaitable<TransactionResult> SmtpClientConnection::Impl::send_data(
    TransactionResult result, const Transaction& transaction,
    std::optional<ServerReply> data_command_reply, bool pipelining) {
  if (!pipelining) {
    phase_ = "sending DATA";
    if (!co_await write("DATA\r\n", options_.command_timeout)) co_return lost(std::move(result));
    data_command_reply = co_await read_reply(options_.data_init_timeout);
    if (!data_command_reply) co_return lost(std::move(result));
  }
  if (data_command_reply->code != 354) {
    result.data_reply = data_command_reply;
    if (!closing_) co_await reset();
    co_return finished(std::move(result));
  }
  const bool sent = transaction.reader != nullptr ? co_await send_message(*transaction.reader)
                                                  : co_await send_message(transaction.message);
  if (!sent) co_return lost(std::move(result));
  phase_ = "sending end of data -- message may be sent more than once";
  result.data_reply = co_await read_reply(options_.data_end_timeout);
  if (!result.data_reply) co_return lost(std::move(result));
  co_return finished(std::move(result));
}

const char* SmtpClientConnection::Impl::phase_of(Command::Kind kind) {
  if (kind == Command::kMail) return "sending MAIL FROM";
  if (kind == Command::kRcpt) return "sending RCPT TO";
  return "sending DATA";
}

// Streams the message dot-stuffed, kDataChunk octets at a time, then the end of data.
awaitable<bool> SmtpClientConnection::Impl::send_message(std::string_view message) {
  phase_ = "sending message body";
  DotStuffer stuffer;
  std::string out;
  size_t offset = 0;
  do {
    std::string_view chunk = message.substr(offset, kDataChunk);
    offset += chunk.size();
    out.clear();
    stuffer.stuff(chunk, out);
    if (offset >= message.size()) stuffer.finish(out);
    if (!co_await write(out, options_.data_block_timeout)) co_return false;
  } while (offset < message.size());
  co_return true;
}

// The same for a message read piece by piece (issue 17 item 4). A piece that cannot be read
// closes the connection before the end of data: the server keeps nothing, the message is
// deferred.
awaitable<bool> SmtpClientConnection::Impl::send_message(MessageReader& reader) {
  phase_ = "sending message body";
  DotStuffer stuffer;
  std::string out;
  for (;;) {
    auto piece = co_await reader.next();
    if (!piece) {
      fail("cannot read the message to send: " + piece.error());
      co_return false;
    }
    out.clear();
    stuffer.stuff(*piece, out);
    if (piece->empty()) stuffer.finish(out);
    if (!out.empty() && !co_await write(out, options_.data_block_timeout)) co_return false;
    if (piece->empty()) co_return true;
  }
}

TransactionResult SmtpClientConnection::Impl::lost(TransactionResult result) {
  result.connection_lost = true;
  result.error = error_;
  return result;
}

// The transaction's outcome is known; the RSET after it may have lost the connection (then
// usable() is false and error says why), and after a 421 the server closes, so we do too.
TransactionResult SmtpClientConnection::Impl::finished(TransactionResult result) {
  if (broken_ || closing_) result.error = error_;
  if (closing_) close();
  return result;
}

awaitable<bool> SmtpClientConnection::Impl::reset() {
  if (!usable()) co_return false;
  phase_ = "sending RSET";
  if (!co_await write("RSET\r\n", options_.command_timeout)) co_return false;
  auto reply = co_await read_reply(options_.command_timeout);
  co_return reply && reply->positive() && usable();
}

awaitable<void> SmtpClientConnection::Impl::quit() {
  if (usable()) {
    phase_ = "sending QUIT";
    if (co_await write("QUIT\r\n", options_.command_timeout))
      co_await read_reply(options_.command_timeout);
  }
  quit_ = true;
  close();
}

}  // namespace pw::delivery
