// The SMTP server session: one method per verb, each answering with a code, an enhanced code
// (RFC 3463) and a text. Replies are queued and sent when the session would otherwise wait for
// input, which is what PIPELINING (RFC 2920) needs.
// SECURITY: talks to SMTP clients on the network. Input is bounded at the first read (command
// lines, AUTH lines, message size); client strings are made printable before they are logged.
// Trust: every byte from the socket.
#include "smtp/server_session.hpp"

#include <fmt/format.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <ctime>

#include "auth/password.hpp"
#include "auth/sasl.hpp"
#include "batv/batv_snapshot.hpp"
#include "dkim/canonical.hpp"
#include "dkim/message_signer.hpp"
#include "mail/address.hpp"
#include "mail/header_summary.hpp"
#include "mail/name_syntax.hpp"
#include "obs/metrics.hpp"
#include "policy/fuzzy_inspection.hpp"
#include "policy/header_from.hpp"
#include "policy/policy_service.hpp"
#include "queue/mail_injector.hpp"
#include "queue/queue_manager.hpp"
#include "scan/attachment_limits.hpp"
#include "scan/clamd_client.hpp"
#include "scan/external_scans.hpp"
#include "scan/spam_classifier.hpp"
#include "smtp/command_parser.hpp"
#include "smtp/data_reader.hpp"
#include "smtp/policy_reply.hpp"
#include "smtp/reply.hpp"
#include "smtp/server_context.hpp"
#include "smtp/submission_headers.hpp"
#include "smtp/trace_hops.hpp"
#include "smtp/verdict_actions.hpp"
#include "util/ascii_text.hpp"
#include "util/base64.hpp"
#include "util/blocking.hpp"
#include "util/rfc5322_date.hpp"

namespace pw::smtp {
namespace {

obs::Outcome batv_outcome(batv::VerifyStatus status) {
  switch (status) {
    case batv::VerifyStatus::kValid:
      return obs::Outcome::kBatvValid;
    case batv::VerifyStatus::kUntagged:
      return obs::Outcome::kBatvUntagged;
    case batv::VerifyStatus::kUnknownKey:
      return obs::Outcome::kBatvUnknownKey;
    case batv::VerifyStatus::kExpired:
      return obs::Outcome::kBatvExpired;
    case batv::VerifyStatus::kBadHash:
      return obs::Outcome::kBatvBadHash;
    case batv::VerifyStatus::kMalformed:
      break;
  }
  return obs::Outcome::kBatvMalformed;
}

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// How much one read asks the kernel for.
constexpr size_t kReadChunk = 16 * 1024;

// Client text made safe for logs and headers: printable ASCII kept, the rest becomes '?'.
std::string printable(std::string_view text, size_t max_length = 255) {
  std::string out;
  for (char c : text.substr(0, max_length)) {
    auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 33 && u <= 126 && c != '"' && c != '\\' ? c : '?');
  }
  return out;
}

enum class LineStatus { kLine, kTooLong, kClosed, kTimeout, kDeadline, kStopped };
enum class Flow { kContinue, kClose };

class Session final : public StoppableSession, public std::enable_shared_from_this<Session> {
 public:
  Session(ServerContext& context, tcp::socket socket, bool implicit_tls,
          net::ConnectionLimiter::Slot slot, SessionMode mode)
      : inbound_(mode == SessionMode::kInbound),
        ctx_(context),
        limits_(context.config.smtp),
        executor_(socket.get_executor()),
        stream_(std::move(socket), *context.tls->current()),
        implicit_tls_(implicit_tls),
        slot_(std::move(slot)),
        timer_(executor_) {
    boost::system::error_code ec;
    auto endpoint = stream_.next_layer().remote_endpoint(ec);
    auto address = endpoint.address();
    if (address.is_v6() && address.to_v6().is_v4_mapped())
      address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    client_ip_ = ec ? std::string("unknown") : address.to_string();
    if (auto parsed = util::IpAddress::parse(client_ip_)) client_address_ = *parsed;
  }

  ~Session() override {
    if (registered_) ctx_.sessions.remove(registry_handle_);
  }

  void start() {
    registry_handle_ = ctx_.sessions.add(weak_from_this());
    registered_ = true;
    auto self = shared_from_this();
    asio::co_spawn(executor_, watchdog(), asio::detached);
    asio::co_spawn(executor_, run(), [self](std::exception_ptr e) {
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

  void request_stop() override {
    asio::post(executor_, [self = shared_from_this()] {
      self->stop_requested_ = true;
      if (self->waiting_for_command_) self->cancel_io();
    });
  }

 private:
  // ---- I/O --------------------------------------------------------------------------------
  void cancel_io() {
    boost::system::error_code ignored;
    stream_.next_layer().cancel(ignored);
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    slot_ = net::ConnectionLimiter::Slot();
    boost::system::error_code ignored;
    stream_.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.next_layer().close(ignored);
    timer_.cancel();
  }

  // Sets the time by which the current wait must end; the watchdog cancels I/O after it.
  void arm_until(Clock::time_point deadline) {
    timed_out_ = false;
    bool earlier = deadline < deadline_;
    deadline_ = deadline;
    if (earlier) timer_.cancel();
  }
  void arm(std::chrono::seconds timeout) { arm_until(Clock::now() + timeout); }

  awaitable<void> watchdog() {
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

  awaitable<bool> flush() {
    if (out_.empty()) co_return true;
    arm(std::chrono::seconds(limits_.write_timeout_s));
    boost::system::error_code ec;
    if (tls_)
      co_await asio::async_write(stream_, asio::buffer(out_),
                                 asio::redirect_error(use_awaitable, ec));
    else
      co_await asio::async_write(stream_.next_layer(), asio::buffer(out_),
                                 asio::redirect_error(use_awaitable, ec));
    out_.clear();
    co_return !ec;
  }

  // Appends what the client sent next to in_; false on end of stream, error or time-out.
  awaitable<bool> read_more() {
    size_t old = in_.size();
    in_.resize(old + kReadChunk);
    boost::system::error_code ec;
    size_t n;
    if (tls_)
      n = co_await stream_.async_read_some(asio::buffer(in_.data() + old, kReadChunk),
                                           asio::redirect_error(use_awaitable, ec));
    else
      n = co_await stream_.next_layer().async_read_some(asio::buffer(in_.data() + old, kReadChunk),
                                                        asio::redirect_error(use_awaitable, ec));
    in_.resize(old + n);
    co_return !ec && n > 0;
  }

  // Reads one line ending in LF (CR before it removed). `max_length` counts the line end; a
  // longer line is drained to its end and reported as kTooLong. Each read must come within
  // idle_timeout_s of the last, and the whole line within command_deadline_s however it
  // trickles in (issue 15, item 6).
  awaitable<LineStatus> read_line(size_t max_length, std::string& line) {
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
      bool ok = co_await read_more();
      waiting_for_command_ = false;
      if (!ok) {
        if (timed_out_)
          co_return Clock::now() >= deadline ? LineStatus::kDeadline : LineStatus::kTimeout;
        if (stop_requested_) co_return LineStatus::kStopped;
        co_return LineStatus::kClosed;
      }
    }
  }

  void send(const Reply& reply) { out_ += reply.render(); }
  void send_error(const Reply& reply) {
    ++errors_;
    send(reply);
  }

  // ---- the session --------------------------------------------------------------------------
  awaitable<void> run() {
    auto self = shared_from_this();
    if (implicit_tls_ && !co_await handshake()) co_return;
    send(Reply(220, "", fmt::format("{} ESMTP postwarden", ctx_.hostname)));
    spdlog::info("event=connect client={} tls={}", client_ip_, tls_ ? "yes" : "no");
    const size_t read_limit = static_cast<size_t>(
        std::max(limits_.max_command_line_length, limits_.max_auth_line_length));
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
    spdlog::info("event=disconnect client={} messages={} errors={}", client_ip_, messages_,
                 errors_);
  }

  awaitable<bool> handshake() {
    arm(std::chrono::seconds(limits_.tls_handshake_timeout_s));
    boost::system::error_code ec;
    co_await stream_.async_handshake(asio::ssl::stream_base::server,
                                     asio::redirect_error(use_awaitable, ec));
    if (ec) {
      spdlog::info("event=tls_failed client={} error=\"{}\"", client_ip_, printable(ec.message()));
      co_return false;
    }
    tls_ = true;
    co_return true;
  }

  awaitable<Flow> dispatch(const std::string& line) {
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
        co_return Flow::kClose;
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
    co_return Flow::kContinue;
  }

  bool auth_offered() const { return !inbound_ && (tls_ || !ctx_.config.tls.require_tls_for_auth); }

  void on_hello(const Command& command, bool extended) {
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

  void reset_transaction() {
    in_transaction_ = false;
    mail_from_.clear();
    recipients_.clear();
    mail_params_ = MailParams{};
    transaction_sender_.reset();
    txn_ = policy::Transaction{};
  }

  awaitable<void> on_mail(const Command& command) {
    if (inbound_) {  // F-BATV
      on_inbound_mail(command);
      co_return;
    }
    if (auto refusal = check_mail(command)) {
      send_error(*refusal);
      co_return;
    }
    const MailParams& params = command.mail;
    if (ctx_.queue && !ctx_.queue->accepting()) {
      send(Reply(452, "4.3.1", "Insufficient system storage: the queue is full; try later"));
      co_return;
    }
    std::optional<mail::Sender> sender;
    if (auth_sender_) {
      sender = auth_sender_;
    } else if (client_address_) {
      auto directory = ctx_.directory.load();
      if (directory) sender = directory->match_ip(*client_address_);
    }
    if (sender && ctx_.policy) {
      start_policy_transaction(*sender, command.path, params.size);
      if (txn_.settings->valid_sender_required && !command.path.empty() && ctx_.domain_resolves)
        txn_.mail_from_resolves = co_await ctx_.domain_resolves(mail::domain_of(command.path));
      if (txn_.settings->check_ip_reputation) co_await look_up_ip_reputation();
      auto result = ctx_.policy->evaluate(txn_);
      if (!result.verdict.passed()) {
        const Reply refusal = policy_reply(result.verdict);
        record_decisions(result, "", &refusal);
        send_error(refusal);
        co_return;
      }
      record_decisions(result, "", nullptr);
      if (!session_counted_) {
        session_counted_ = true;
        ctx_.policy->count_connection(txn_);
      }
    }
    transaction_sender_ = sender;
    in_transaction_ = true;
    mail_from_ = command.path;
    mail_params_ = params;
    send(Reply(250, "2.1.0", "Ok"));
  }

  // F-IPREP: the block lists' answers for the client IP, before the MAIL checks run.
  awaitable<void> look_up_ip_reputation() {
    txn_.ip_reputation_config = &ctx_.config.ip_reputation;
    if (!ctx_.ip_reputation) co_return;
    auto found = co_await ctx_.ip_reputation(client_ip_);
    size_t cached = 0;
    for (const auto& zone : found.zones) cached += zone.from_cache ? 1 : 0;
    spdlog::info(
        "event=ip_reputation client={} listed=\"{}\" weight={:.2f} zones={} queries={} "
        "cached={} elapsed_us={}",
        client_ip_, found.listed_zones(), found.listed_weight(), found.zones.size(), found.queries,
        cached, found.elapsed.count());
    txn_.ip_reputation = std::move(found);
  }

  std::optional<Reply> check_mail(const Command& command) const {
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

  // The policy's view of this transaction, from MAIL on.
  void start_policy_transaction(const mail::Sender& sender, const std::string& mail_from,
                                std::optional<uint64_t> declared_size) {
    snapshot_ = ctx_.policy->snapshot();
    txn_ = policy::Transaction{};
    txn_.stage = policy::Stage::kMail;
    txn_.now = std::time(nullptr);
    txn_.client_ip = client_ip_;
    txn_.sender = sender;
    txn_.authenticated = auth_sender_.has_value();
    txn_.snapshot = snapshot_.get();
    txn_.settings = &snapshot_->settings(sender.name);
    txn_.domain = snapshot_->domain(sender.domain);
    txn_.server_max_message_size = limits_.max_message_size;
    txn_.mail_from = mail_from;
    txn_.declared_size = declared_size;
    txn_.session_counted = session_counted_;
    identity_method_ = ctx_.policy->identity_method(sender.name);
    if (identity_method_.kind != policy::IdentityKind::kHeader) {
      auto id = policy::extract_identity(identity_method_, identity_input(""));
      if (id.usable) txn_.identity = id.identity;
    }
  }

  policy::IdentityInput identity_input(std::string_view message) const {
    policy::IdentityInput input;
    if (auth_sender_) input.auth_user = auth_user_;
    if (txn_.sender.kind == mail::SenderKind::kIp) input.ip_user = txn_.sender.name;
    input.mail_from = txn_.mail_from;
    input.message = message;
    return input;
  }

  void on_rcpt(const Command& command) {
    if (inbound_) return on_inbound_rcpt(command);  // F-BATV
    if (!in_transaction_) return send_error(Reply(503, "5.5.1", "Need MAIL command"));
    if (command.path.empty()) return send_error(Reply(501, "5.1.3", "Empty recipient address"));
    if (!mail_params_.smtputf8 && !is_ascii(command.path))
      return send_error(Reply(553, "5.6.7", "Non-ASCII address needs SMTPUTF8"));
    if (auto e = mailbox_syntax_error(command.path, mail_params_.smtputf8)) {
      if (transaction_sender_ && ctx_.policy)
        ctx_.policy->count_invalid_recipient(txn_, command.path);
      return send_error(Reply(553, "5.1.3", "Bad recipient address syntax: " + *e));
    }
    if (!transaction_sender_) {
      spdlog::info("event=reject reason=relay client={} from=<{}> to=<{}>", client_ip_,
                   printable(mail_from_), printable(command.path));
      obs::metrics().count(obs::Outcome::kRelayUnknownSender);
      return send_error(Reply(550, "5.7.1", "Relay not permitted!"));
    }
    if (recipients_.size() >= static_cast<size_t>(limits_.max_recipients))
      return send_error(Reply(452, "4.5.3", "Too many recipients"));
    if (ctx_.policy) {
      txn_.stage = policy::Stage::kRcpt;
      txn_.now = std::time(nullptr);
      txn_.rcpt = command.path;
      txn_.recipients = recipients_;
      auto result = ctx_.policy->evaluate(txn_);
      if (!result.verdict.passed()) {
        const Reply refusal = policy_reply(result.verdict);
        record_decisions(result, "", &refusal);
        return send_error(refusal);
      }
      record_decisions(result, "", nullptr);
    }
    recipients_.push_back(command.path);
    send(Reply(250, "2.1.5", "Ok"));
  }

  awaitable<Flow> on_data() {
    if (!in_transaction_) {
      send_error(Reply(503, "5.5.1", "Need MAIL command"));
      co_return Flow::kContinue;
    }
    if (recipients_.empty()) {
      send_error(Reply(554, "5.5.1", "No valid recipients"));
      co_return Flow::kContinue;
    }
    send(Reply(354, "", "End data with <CR><LF>.<CR><LF>"));
    if (!co_await flush()) co_return Flow::kClose;
    const auto data_deadline = Clock::now() + std::chrono::seconds(limits_.data_deadline_s);

    DataReader reader(static_cast<uint64_t>(limits_.max_message_size));
    // F-DKIM: the body hash is computed while the data arrives, so signing needs no second pass.
    std::optional<dkim::SigningChoice> signing = signing_choice();
    std::optional<dkim::BodyHasher> body_hasher;
    if (signing) {
      const dkim::Canon body = ctx_.dkim_options->canonicalization.body;
      body_hasher.emplace(body == dkim::Canon::kRelaxed, body == dkim::Canon::kSimple);
    }
    size_t hashed = 0;
    for (;;) {
      size_t used = reader.feed(in_);
      in_.erase(0, used);
      if (body_hasher && !reader.too_big()) {
        std::string_view data = reader.message();
        body_hasher->update(data.substr(hashed));
        hashed = data.size();
      }
      if (reader.done()) break;
      // Item 6 of issue 15: the silence between reads and the whole of DATA are both bounded.
      arm_until(
          std::min(data_deadline, Clock::now() + std::chrono::seconds(limits_.data_timeout_s)));
      if (!co_await read_more()) {
        if (timed_out_) {
          const bool deadline = Clock::now() >= data_deadline;
          send(Reply(421, "4.4.2",
                     fmt::format("{} Error: {} exceeded during DATA", ctx_.hostname,
                                 deadline ? "deadline" : "timeout")));
          spdlog::info("event=timeout client={} phase=data kind={} size={}", client_ip_,
                       deadline ? "deadline" : "idle", reader.size());
        } else {
          spdlog::info("event=lost_during_data client={} size={}", client_ip_, reader.size());
        }
        co_return Flow::kClose;
      }
    }

    Flow flow = Flow::kContinue;
    if (reader.too_big()) {
      send_error(Reply(552, "5.3.4", "Message size exceeds fixed maximum message size"));
    } else if (reader.has_nul()) {
      send_error(Reply(550, "5.6.0", "Message contains NUL characters"));
    } else if (reader.bare_line_ending()) {
      send_error(Reply(550, "5.6.0",
                       "Message contains bare CR or LF characters; lines must end with CRLF"));
    } else if (auto hops = static_cast<size_t>(ctx_.config.smtp.max_hops);
               count_received_fields(reader.message(), hops + 1) > hops) {
      send_error(
          Reply(554, "5.4.6",
                fmt::format("Too many hops: more than {} Received: fields, a mail loop", hops)));
      spdlog::info("event=reject reason=mail_loop client={} max_hops={}", client_ip_, hops);
    } else if (more_header_fields_than(reader.message(),
                                       static_cast<size_t>(limits_.max_header_fields))) {
      // Issue 15, item 5: no scan or DKIM signature sees a header section beyond the bound.
      send_error(
          Reply(552, "5.3.4",
                fmt::format("Message has more than {} header fields", limits_.max_header_fields)));
      spdlog::info("event=reject reason=too_many_header_fields client={} limit={}", client_ip_,
                   limits_.max_header_fields);
    } else if (inbound_) {  // F-BATV: a bounce to a tagged address
      flow = co_await accept_bounce(reader);
    } else {
      dkim::BodyHasher::Digests body_hashes;
      if (body_hasher) body_hashes = body_hasher->finish();
      flow = co_await accept_message(reader, signing, body_hashes);
    }
    if (!reader.too_big() && (reader.has_nul() || reader.bare_line_ending()))
      spdlog::info("event=reject reason=malformed_data client={} nul={} bare_line_ending={}",
                   client_ip_, reader.has_nul(), reader.bare_line_ending());
    reset_transaction();
    co_return flow;
  }

  std::string received_header(const std::string& id) const {
    // RFC 5321 4.4 trace field; protocol names from RFC 3848 and RFC 6531.
    std::string protocol = mail_params_.smtputf8 ? "UTF8SMTP" : (extended_ ? "ESMTP" : "SMTP");
    if (tls_) protocol += "S";
    if (auth_sender_) protocol += "A";
    std::string for_clause =
        recipients_.size() == 1 ? fmt::format("\r\n\tfor <{}>", recipients_.front()) : "";
    return fmt::format(
        "Received: from {} ([{}])\r\n\tby {} (postwarden) with {} id {}{};\r\n\t{}\r\n", helo_,
        client_ip_, ctx_.hostname, protocol, id, for_clause,
        util::rfc5322_date(std::time(nullptr)));
  }

  // F-AV: clamd's verdict in txn_.virus, from a worker thread (the client blocks, bounded by
  // [clamd] timeout_ms). A failure is logged loudly; with on_failure = accept the message goes
  // on unscanned, otherwise the virus check answers 451.
  awaitable<void> scan_for_viruses(std::string_view content, const std::string& id) {
    auto options = scan::ClamdOptions::from(ctx_.config.clamd);
    auto result = co_await util::run_blocking(
        *ctx_.blocking, [options, content] { return scan::clamd_scan(options, content); });
    if (result.infected())
      spdlog::info("event=virus_found id={} sender={} signature=\"{}\" ms={}", id,
                   printable(txn_.sender.name), result.signature, result.elapsed_ms);
    if (result.failed()) {
      bool accept = ctx_.config.clamd.on_failure == "accept";
      spdlog::error(
          "event=virus_scan_failed id={} sender={} clamd={} on_failure={} ms={} "
          "error=\"{}\"",
          id, printable(txn_.sender.name), options.address, accept ? "accept" : "tempfail",
          result.elapsed_ms, result.error);
      if (accept) co_return;  // delivered unscanned, as configured
    }
    txn_.virus = std::move(result);
  }

  // Blocking work of a spam verdict (counters, maybe a lock and its notices) off the loop. The
  // lock names the message by its queue id (F-LOCK-WHY).
  awaitable<void> count_spam(const policy::Verdict& verdict, const std::string& id,
                             policy::SpamOutcome outcome) {
    auto* policy = ctx_.policy;
    const policy::Transaction* txn = &txn_;
    policy::SpamMessage message{id, txn_.now, verdict.check, outcome, {}};
    co_await util::run_blocking(*ctx_.blocking, [policy, txn, &verdict, &message] {
      policy->count_spam(*txn, verdict, message);
      return true;
    });
  }

  // Item 13 of issue 15: the trail and the log line of the decision that was enforced carry the
  // reply the client is really given (`sent`), not the check's own text.
  void record_decisions(policy::ChainResult& result, const std::string& id, const Reply* sent) {
    if (sent && !result.verdict.passed()) {
      for (auto it = result.decisions.rbegin(); it != result.decisions.rend(); ++it) {
        if (it->monitor || it->passed()) continue;
        it->reply = sent->summary();
        break;
      }
    }
    ctx_.policy->record_decisions(txn_, result, id);
  }

  // What the session answers to a blocking verdict; `error` counts it towards max_errors.
  struct Answer {
    Reply reply;
    bool error = false;
  };

  // A blocking verdict at the end of DATA: refuse, or hold in quarantine and answer as the
  // user's quarantine response says, or discard. Nothing is acknowledged before it is durable.
  awaitable<Answer> act_on_verdict(const policy::Verdict& verdict, const mail::Envelope& envelope,
                                   const std::string& trace, const std::string& message) {
    if (verdict.action == policy::Action::kQuarantine) {
      auto* actions = ctx_.actions;
      const policy::Transaction* txn = &txn_;
      auto held = co_await util::run_blocking(
          *ctx_.blocking, [actions, txn, &envelope, &trace, &message, &verdict] {
            return actions->quarantine(*txn, envelope, trace + message, verdict);
          });
      if (!held) {
        obs::metrics().count(obs::Outcome::kSpoolHold);
        spdlog::error("event=quarantine_error id={} error=\"{}\"", envelope.id,
                      held.error().message);
        co_return Answer{
            Reply(451, "4.3.0", "Temporary failure holding the message; try again later")};
      }
      if (verdict.spam) co_await count_spam(verdict, envelope.id, policy::SpamOutcome::kHeld);
      ++messages_;
      obs::metrics().count(obs::Outcome::kMessageQuarantined);
      if (txn_.settings->quarantine_response == "accepted")
        co_return Answer{Reply(250, "2.0.0", "Ok: queued as " + envelope.id)};
      co_return Answer{policy_reply(verdict, " (quarantine id " + envelope.id + ")")};
    }
    if (verdict.spam)
      co_await count_spam(verdict, envelope.id,
                          verdict.action == policy::Action::kDiscard
                              ? policy::SpamOutcome::kDiscarded
                              : policy::SpamOutcome::kRefused);
    if (verdict.action == policy::Action::kDiscard) {
      spdlog::info("event=discarded id={} check={}", envelope.id, verdict.check);
      obs::metrics().count(obs::Outcome::kMessageDiscarded);
      co_return Answer{Reply(250, "2.0.0", "Ok: queued as " + envelope.id)};
    }
    obs::metrics().count(obs::Outcome::kMessageRejected);
    co_return Answer{policy_reply(verdict), true};
  }

  // F-DKIM-SEL: the user's selector, else the domain's; nullopt = not signed.
  std::optional<dkim::SigningChoice> signing_choice() const {
    if (!ctx_.dkim_keys || !ctx_.dkim_options || !ctx_.policy || !transaction_sender_ ||
        !txn_.settings)
      return std::nullopt;
    return dkim::choose_signing(
        transaction_sender_->domain, txn_.settings->dkim_selector,
        txn_.domain ? std::string_view(txn_.domain->dkim_selector) : std::string_view());
  }

  // The envelope of the message just read: what every accepted message records of its session
  // and transaction (the caller adds who sent it).
  mail::Envelope new_envelope() {
    mail::Envelope envelope;
    envelope.id = ctx_.spool->new_id();
    envelope.received_at = std::time(nullptr);
    envelope.client_ip = client_ip_;
    envelope.helo = helo_;
    envelope.tls = tls_;
    envelope.rcpt_to = recipients_;
    envelope.body = mail_params_.body == BodyType::k8BitMime ? "8BITMIME" : "7BIT";
    envelope.smtputf8 = mail_params_.smtputf8;
    return envelope;
  }

  // F-IDENT: the identity from the header rules; the headers they name are removed.
  void read_header_identity(const std::string& id, const std::string*& content,
                            std::string& edited) {
    if (identity_method_.kind != policy::IdentityKind::kHeader) return;
    auto found = policy::extract_identity(identity_method_, identity_input(*content));
    if (found.usable)
      txn_.identity = found.identity;
    else
      spdlog::info("event=identity_fallback id={} sender={} reason=\"{}\"", id,
                   printable(txn_.sender.name), printable(found.fallback_reason));
    if (!found.headers_to_remove.empty()) {
      edited = policy::remove_headers(*content, found.headers_to_remove);
      content = &edited;
    }
  }

  // RFC 6409 8.2, 8.3: Date and Message-ID for a message whose header section lacks them.
  SubmissionHeaders complete_headers(const mail::Envelope& envelope, const std::string*& content,
                                     std::string& edited) {
    const SubmissionHeaders missing = missing_submission_headers(*content);
    if (!missing.any()) return missing;
    // Built before `edited` is replaced: `content` may point at it.
    std::string completed =
        add_submission_headers(*content, missing, util::rfc5322_date(envelope.received_at),
                               mail::generated_message_id(envelope.id, ctx_.hostname));
    edited = std::move(completed);
    content = &edited;
    spdlog::info("event=headers_added id={} sender={} added=\"{}\"", envelope.id,
                 printable(envelope.sender), missing.names());
    return missing;
  }

  awaitable<Flow> accept_message(DataReader& reader,
                                 const std::optional<dkim::SigningChoice>& signing,
                                 const dkim::BodyHasher::Digests& body_hashes) {
    mail::Envelope envelope = new_envelope();
    if (auth_sender_) envelope.auth_user = auth_user_;
    envelope.sender_kind = std::string(mail::to_string(transaction_sender_->kind));
    envelope.sender = transaction_sender_->name;
    envelope.domain = transaction_sender_->domain;
    envelope.mail_from = mail_from_;
    std::string trace = received_header(envelope.id);
    const std::string* content = &reader.message();
    std::string edited;  // the message without the identity headers to remove
    policy::ChainResult result;
    const bool policy_on = ctx_.policy && transaction_sender_ && txn_.settings;
    const auto scan_started = Clock::now();
    if (policy_on) read_header_identity(envelope.id, content, edited);
    // Before the scans (they judge the message as it leaves) and before DKIM signs its header.
    const SubmissionHeaders added = complete_headers(envelope, content, edited);
    if (policy_on) {
      txn_.stage = policy::Stage::kData;
      txn_.now = envelope.received_at;
      txn_.recipients = recipients_;
      txn_.message = *content;
      txn_.size = trace.size() + content->size();
      txn_.header_from = policy::header_from_address(*content);
      if (txn_.settings->valid_sender_required && !txn_.header_from.empty() && ctx_.domain_resolves)
        txn_.header_from_resolves =
            co_await ctx_.domain_resolves(mail::domain_of(txn_.header_from));
      // F-FUZZY: a hash block list of attachments needs the scan's hashes too.
      const bool hash_blocks =
          ctx_.config.fuzzy.enabled && txn_.snapshot && txn_.snapshot->hash_blocks->has_sha256();
      if (txn_.settings->block_macros || txn_.settings->block_pua || hash_blocks) {
        std::string_view scanned = *content;
        scan::AttachmentLimits limits = scan::attachment_limits(ctx_.config.scan);
        txn_.attachments = co_await util::run_blocking(
            *ctx_.blocking, [scanned, limits] { return scan::scan_attachments(scanned, limits); });
      }
      if (scan::external_scans_enabled(ctx_.config)) {  // F-SPAM rspamd, spamd
        scan::ScanEnvelope scan_envelope{
            client_ip_, helo_, mail_from_, recipients_, auth_sender_ ? auth_user_ : std::string(),
            envelope.id};
        std::string_view scanned = *content;
        const config::Config* config = &ctx_.config;
        txn_.external = co_await util::run_blocking(
            *ctx_.blocking, [scanned, envelope = std::move(scan_envelope), config] {
              return scan::run_external_scans(scanned, envelope, *config);
            });
      }
      if (!ctx_.config.clamd.socket.empty() && txn_.settings->block_viruses)
        co_await scan_for_viruses(*content, envelope.id);
      // F-FUZZY and F-SPAM read the same body text: one MIME walk, one worker hop. The classifier
      // runs always, so spam counts even when it is not blocked.
      const bool fuzzy_on = ctx_.config.fuzzy.enabled && txn_.snapshot;
      // This scan keeps the classifier it loaded, even if learning replaces it meanwhile.
      const auto classifier_ref = ctx_.spam_classifier.load();
      const scan::SpamClassifier* classifier = classifier_ref.get();
      if (fuzzy_on || classifier) {
        const std::string_view raw = *content;
        const scan::AttachmentReport* scanned = txn_.attachments ? &*txn_.attachments : nullptr;
        auto blocks = fuzzy_on ? txn_.snapshot->hash_blocks : nullptr;
        auto* tracker = ctx_.outbreaks.get();
        auto options = policy::FuzzyOptions::from(ctx_.config.fuzzy, ctx_.config.scan);
        const scan::SpamCutoffs cutoffs = scan::spam_cutoffs(
            ctx_.config.spam, txn_.domain ? txn_.domain->spam_threshold : std::nullopt);
        const scan::MimeTextLimits limits = options.text_limits;  // the node's [scan] limits
        auto [fuzzy, spam] = co_await util::run_blocking(
            *ctx_.blocking, [raw, scanned, blocks, tracker, subject = txn_.user_subject(),
                             now = txn_.now, options, classifier, cutoffs, limits] {
              const scan::MessageText text = scan::extract_message_text(raw, limits);
              std::optional<policy::FuzzyResult> f;
              std::optional<scan::SpamReport> s;
              if (blocks)
                f = policy::inspect_fuzzy_text(text.text, scanned, *blocks, tracker, subject, now,
                                               options);
              if (classifier) s = classifier->classify_text(raw, text, cutoffs);
              return std::pair{std::move(f), std::move(s)};
            });
        txn_.fuzzy = std::move(fuzzy);
        txn_.spam = std::move(spam);
      }
      result = ctx_.policy->evaluate(txn_);
      obs::metrics().observe_scan(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - scan_started)
              .count()));
      ctx_.policy->count_ip_message(txn_, result.verdict.spam);  // F-IPREP history
      if (result.verdict.unsure && !result.verdict.spam) ctx_.policy->count_unsure(txn_);
      if (added.any())  // in the trail first: the checks saw the message with the fields
        result.decisions.insert(result.decisions.begin(), submission_headers_decision(added));
      if (result.verdict.passed()) record_decisions(result, envelope.id, nullptr);
      envelope.identity = txn_.identity;
    }
    envelope.size = trace.size() + content->size();
    const std::string& message = *content;

    if (policy_on && !result.verdict.passed()) {
      // Recorded once the answer is known: a quarantine may answer 250 or 451 (item 13).
      Answer answer = co_await act_on_verdict(result.verdict, envelope, trace, message);
      record_decisions(result, envelope.id, &answer.reply);
      if (answer.error)
        send_error(answer.reply);
      else
        send(answer.reply);
      co_return Flow::kContinue;
    }
    if (policy_on && result.verdict.spam)
      co_await count_spam(result.verdict, envelope.id, policy::SpamOutcome::kSent);

    // F-DKIM: signed after the policy checks, before the spool, in the same worker hop.
    auto* spool = ctx_.spool.get();
    dkim::SignOutcome signed_as;
    const dkim::SigningChoice* choice = signing ? &*signing : nullptr;
    auto* keys = ctx_.dkim_keys.get();
    const dkim::SignerOptions* sign_options = ctx_.dkim_options.get();
    auto stored = co_await util::run_blocking(
        *ctx_.blocking,
        [spool, &envelope, &trace, &message, choice, keys, sign_options, &body_hashes, &signed_as] {
          if (choice) {
            signed_as = dkim::sign_message(*keys, *sign_options, *choice, message, body_hashes,
                                           envelope.received_at);
            envelope.size += signed_as.header.size();
          }
          return spool->store(envelope, {trace, signed_as.header, message});
        });
    if (choice && signed_as.status != dkim::SignOutcome::Status::kSigned)
      spdlog::warn("event=dkim_unsigned id={} sender={} domain={} selector={} reason={}{}{}",
                   envelope.id, printable(envelope.sender), choice->domain, choice->selector,
                   dkim::to_string(signed_as.status),
                   signed_as.error.empty() ? "" : " error=", printable(signed_as.error));
    if (!stored) {
      spdlog::error("event=spool_error id={} client={} error=\"{}\"", envelope.id, client_ip_,
                    stored.error().message);
      obs::metrics().count(obs::Outcome::kSpoolWrite);
      send(Reply(451, "4.3.0", "Temporary failure writing the message; try again later"));
      co_return Flow::kContinue;
    }
    obs::metrics().count(obs::Outcome::kMessageAccepted);
    if (policy_on) {
      ctx_.policy->count_accepted(txn_);
      if (txn_.settings->archive) {
        auto* actions = ctx_.actions;
        auto archived =
            co_await util::run_blocking(*ctx_.blocking, [actions, &envelope, &trace, &message] {
              return actions->archive(envelope, trace + message);
            });
        if (!archived)
          spdlog::error("event=archive_failed id={} error=\"{}\"", envelope.id,
                        archived.error().message);
      }
    }
    ++messages_;
    auto summary = mail::summarize_headers(message);
    if (ctx_.queue) ctx_.queue->submit(envelope, summary.message_id, summary.subject);
    spdlog::info(
        "event=accepted id={} client={} sender={} kind={} domain={} auth={} from=<{}> rcpts={} "
        "size={} tls={} dkim={}",
        envelope.id, client_ip_, printable(envelope.sender), envelope.sender_kind, envelope.domain,
        auth_sender_ ? printable(auth_user_) : "-", printable(mail_from_), recipients_.size(),
        envelope.size, tls_ ? "yes" : "no",
        signed_as.status == dkim::SignOutcome::Status::kSigned
            ? fmt::format("{}/{}/{}", choice->domain, choice->selector,
                          dkim::to_string(signed_as.type))
            : "-");
    send(Reply(250, "2.0.0", "Ok: queued as " + envelope.id));
    co_return Flow::kContinue;
  }

  awaitable<Flow> on_starttls() {
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

  // Reads a SASL response line; nullopt when the client cancelled ("*") or vanished.
  awaitable<std::optional<std::string>> read_sasl_response(bool& connection_lost) {
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

  awaitable<Flow> on_auth(const Command& command) {
    if (!extended_) {
      send_error(Reply(503, "5.5.1", "Send EHLO first"));
      co_return Flow::kContinue;
    }
    if (auth_sender_) {
      send_error(Reply(503, "5.5.1", "Already authenticated"));
      co_return Flow::kContinue;
    }
    if (in_transaction_) {
      send_error(Reply(503, "5.5.1", "AUTH not permitted during a mail transaction"));
      co_return Flow::kContinue;
    }
    if (!auth_offered()) {
      obs::metrics().count(obs::Outcome::kAuthEncryptionRequired);
      send_error(
          Reply(538, "5.7.11", "Encryption required for requested authentication mechanism"));
      co_return Flow::kContinue;
    }
    if (ctx_.guard->is_banned(client_ip_)) {
      obs::metrics().count(obs::Outcome::kAuthBanned);
      send(Reply(421, "4.7.0", "Too many failed authentication attempts; try again later"));
      co_return Flow::kClose;
    }
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
    std::string username, password;
    auto decode = [&](const std::string& text) -> std::optional<std::string> {
      if (text == "=") return std::string();
      return util::base64_decode(text);
    };
    if (mechanism == "plain") {
      if (initial.empty()) {
        send(Reply(334, "", ""));
        auto response = co_await read_sasl_response(lost);
        if (!response) co_return lost ? Flow::kClose : Flow::kContinue;
        initial = *response;
      }
      auto decoded = decode(initial);
      auto credentials = decoded ? auth::parse_plain(*decoded) : std::nullopt;
      if (!credentials) {
        obs::metrics().count(obs::Outcome::kAuthMalformed);
        send_error(Reply(501, "5.5.2", "Cannot decode the PLAIN response"));
        co_return Flow::kContinue;
      }
      if (!credentials->authzid.empty() && credentials->authzid != credentials->username) {
        obs::metrics().count(obs::Outcome::kAuthMalformed);
        send_error(Reply(535, "5.7.8", "Authorization identity must be empty or the user itself"));
        co_return Flow::kContinue;
      }
      username = std::move(credentials->username);
      password = std::move(credentials->password);
      if (decoded) sodium_memzero(decoded->data(), decoded->size());
    } else if (mechanism == "login") {
      std::optional<std::string> user_text;
      if (!initial.empty()) {
        user_text = decode(initial);
      } else {
        send(Reply(334, "", "VXNlcm5hbWU6"));  // "Username:"
        auto response = co_await read_sasl_response(lost);
        if (!response) co_return lost ? Flow::kClose : Flow::kContinue;
        user_text = decode(*response);
      }
      if (!user_text || user_text->empty()) {
        obs::metrics().count(obs::Outcome::kAuthMalformed);
        send_error(Reply(501, "5.5.2", "Cannot decode the LOGIN user name"));
        co_return Flow::kContinue;
      }
      send(Reply(334, "", "UGFzc3dvcmQ6"));  // "Password:"
      auto response = co_await read_sasl_response(lost);
      if (!response) co_return lost ? Flow::kClose : Flow::kContinue;
      auto password_text = decode(*response);
      if (!password_text) {
        obs::metrics().count(obs::Outcome::kAuthMalformed);
        send_error(Reply(501, "5.5.2", "Cannot decode the LOGIN password"));
        co_return Flow::kContinue;
      }
      username = std::move(*user_text);
      password = std::move(*password_text);
    } else {
      obs::metrics().count(obs::Outcome::kAuthUnknownMechanism);
      send_error(Reply(504, "5.5.4", "Unrecognized authentication mechanism"));
      co_return Flow::kContinue;
    }
    Flow flow = co_await verify_credentials(username, password);
    co_return flow;
  }

  awaitable<Flow> verify_credentials(const std::string& username, std::string& password) {
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
      spdlog::info("event=auth result=ok client={} user={} kind={}", client_ip_,
                   printable(username), mail::to_string(login->sender.kind));
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

  // ---- F-BATV: the bounce listener (SessionMode::kInbound) -----------------------------------
  // Only delivery status notifications come in here: MAIL FROM:<> and recipients whose prvs= tag
  // this node made and that has not expired. Each recipient is rewritten to its original address
  // and the message goes to that address's route like any mail; it never causes a DSN itself.
  static constexpr std::string_view kInboundOnly =
      "This listener accepts only delivery status notifications (MAIL FROM:<>) to addresses "
      "tagged by this gateway";

  void on_inbound_mail(const Command& command) {
    if (auto refusal = check_mail(command)) return send_error(*refusal);
    if (!command.path.empty()) {
      spdlog::info("event=batv_refused stage=mail reason=not_null_sender client={} from=<{}>",
                   client_ip_, printable(command.path));
      obs::metrics().count(obs::Outcome::kRelayNotNullSender);
      return send_error(Reply(550, "5.7.1", std::string(kInboundOnly)));
    }
    if (ctx_.queue && !ctx_.queue->accepting())
      return send(Reply(452, "4.3.1", "Insufficient system storage: the queue is full; try later"));
    in_transaction_ = true;
    mail_from_.clear();
    mail_params_ = command.mail;
    send(Reply(250, "2.1.0", "Ok"));
  }

  void refuse_bounce(const std::string& rcpt, obs::Outcome outcome, std::string_view reason,
                     std::string text) {
    obs::metrics().count(outcome);
    spdlog::info("event=batv_refused stage=rcpt reason={} client={} to=<{}>", reason, client_ip_,
                 printable(rcpt));
    send_error(Reply(550, "5.7.1", std::move(text)));
  }

  void on_inbound_rcpt(const Command& command) {
    if (!in_transaction_) return send_error(Reply(503, "5.5.1", "Need MAIL command"));
    if (command.path.empty()) return send_error(Reply(501, "5.1.3", "Empty recipient address"));
    if (!mail_params_.smtputf8 && !is_ascii(command.path))
      return send_error(Reply(553, "5.6.7", "Non-ASCII address needs SMTPUTF8"));
    if (auto e = mailbox_syntax_error(command.path, mail_params_.smtputf8))
      return send_error(Reply(553, "5.1.3", "Bad recipient address syntax: " + *e));
    if (recipients_.size() >= static_cast<size_t>(limits_.max_recipients))
      return send_error(Reply(452, "4.5.3", "Too many recipients"));
    const std::string& rcpt = command.path;
    auto snapshot = ctx_.batv.load();
    const std::string domain = mail::domain_of(rcpt);
    if (!snapshot || !snapshot->node_domains.count(domain))
      return refuse_bounce(rcpt, obs::Outcome::kRelayNotOurDomain, "relay", "Relay not permitted!");
    if (!snapshot->enabled_for(domain))
      return refuse_bounce(rcpt, obs::Outcome::kBatvOff, "batv_off",
                           "Bounce to an address this gateway did not tag: " + domain +
                               " does not tag its envelope senders");
    auto verification = snapshot->verify(rcpt, std::time(nullptr));
    using batv::VerifyStatus;
    if (verification.status == VerifyStatus::kUntagged)
      return refuse_bounce(rcpt, obs::Outcome::kBatvUntagged, "untagged",
                           "Bounce to an address this gateway did not tag (no prvs= tag); "
                           "refused as backscatter");
    if (verification.status != VerifyStatus::kValid) {
      std::string_view why =
          verification.status == VerifyStatus::kExpired      ? "the tag has expired"
          : verification.status == VerifyStatus::kBadHash    ? "the tag's hash does not match"
          : verification.status == VerifyStatus::kUnknownKey ? "the tag names an unknown key"
                                                             : "the tag is malformed";
      return refuse_bounce(rcpt, batv_outcome(verification.status),
                           batv::to_string(verification.status),
                           fmt::format("Bounce address tag not valid: {} ({})", why,
                                       batv::to_string(verification.status)));
    }
    obs::metrics().count(obs::Outcome::kBatvValid);
    spdlog::info("event=batv_valid client={} to=<{}> original=<{}> key={} days_left={}", client_ip_,
                 printable(rcpt), printable(verification.original), verification.key,
                 verification.days_left);
    recipients_.push_back(verification.original);
    send(Reply(250, "2.1.5", "Ok"));
  }

  // The bounce is spooled (synced) before 250, then queued for the original addresses' routes.
  awaitable<Flow> accept_bounce(DataReader& reader) {
    mail::Envelope envelope = new_envelope();
    envelope.sender_kind = "inbound";
    envelope.sender = client_ip_;
    envelope.domain = mail::domain_of(recipients_.front());
    envelope.mail_from = "";
    std::string trace = received_header(envelope.id);
    const std::string& message = reader.message();
    envelope.size = trace.size() + message.size();
    auto* spool = ctx_.spool.get();
    auto stored = co_await util::run_blocking(*ctx_.blocking, [spool, &envelope, &trace, &message] {
      return spool->store(envelope, {trace, message});
    });
    if (!stored) {
      spdlog::error("event=spool_error id={} client={} error=\"{}\"", envelope.id, client_ip_,
                    stored.error().message);
      obs::metrics().count(obs::Outcome::kSpoolWrite);
      send(Reply(451, "4.3.0", "Temporary failure writing the message; try again later"));
      co_return Flow::kContinue;
    }
    ++messages_;
    auto summary = mail::summarize_headers(message);
    if (ctx_.queue) ctx_.queue->submit(envelope, summary.message_id, summary.subject);
    spdlog::info("event=batv_bounce_accepted id={} client={} rcpts={} size={} tls={}", envelope.id,
                 client_ip_, recipients_.size(), envelope.size, tls_ ? "yes" : "no");
    send(Reply(250, "2.0.0", "Ok: queued as " + envelope.id));
    co_return Flow::kContinue;
  }

  const bool inbound_;  // SessionMode::kInbound
  // ---- end of F-BATV -------------------------------------------------------------------------

  ServerContext& ctx_;
  const config::SmtpConfig& limits_;
  asio::any_io_executor executor_;
  asio::ssl::stream<tcp::socket> stream_;
  bool implicit_tls_;
  net::ConnectionLimiter::Slot slot_;
  asio::steady_timer timer_;
  Clock::time_point deadline_ = Clock::time_point::max();
  SessionRegistry::Handle registry_handle_;
  bool registered_ = false;

  bool tls_ = false;
  bool closed_ = false;
  bool timed_out_ = false;
  bool stop_requested_ = false;
  bool waiting_for_command_ = false;
  std::string in_;
  std::string out_;

  std::string client_ip_;
  std::optional<util::IpAddress> client_address_;
  std::string helo_;
  bool extended_ = false;
  std::optional<mail::Sender> auth_sender_;
  std::string auth_user_;
  int64_t errors_ = 0;
  int64_t messages_ = 0;

  bool in_transaction_ = false;
  std::optional<mail::Sender> transaction_sender_;
  std::string mail_from_;
  MailParams mail_params_;
  std::vector<std::string> recipients_;

  // Policy (F-LIMITS and the rest): the transaction as the checks see it.
  policy::Transaction txn_;
  std::shared_ptr<const policy::PolicySnapshot> snapshot_;
  policy::IdentityMethod identity_method_;
  bool session_counted_ = false;  // counted once per session as a connection (F-LIMITS)
};

}  // namespace

void start_session(ServerContext& context, tcp::socket socket, bool implicit_tls,
                   net::ConnectionLimiter::Slot slot, SessionMode mode) {
  auto session =
      std::make_shared<Session>(context, std::move(socket), implicit_tls, std::move(slot), mode);
  session->start();
}

bool known_client(const ServerContext& context, const std::string& ip) {
  auto address = util::IpAddress::parse(ip);
  auto directory = context.directory.load();
  return address && directory && directory->match_ip(*address).has_value();
}

namespace {

// Frees a place among the implicit-TLS refusals being handshaken when the refusal ends.
struct RefusalPlace {
  std::atomic<int64_t>* pending;
  ~RefusalPlace() { pending->fetch_sub(1); }
};

// Item 9 of issue 15: on an implicit-TLS listener the refusal goes out after the handshake, over
// TLS; a client that does not finish the handshake, read and shut down in `limit` is cut.
awaitable<void> refuse_over_tls(std::shared_ptr<asio::ssl::stream<tcp::socket>> stream,
                                std::string text, std::chrono::seconds limit,
                                std::shared_ptr<RefusalPlace> place) {
  asio::steady_timer timer(stream->get_executor(), limit);
  timer.async_wait([stream](const boost::system::error_code& ec) {
    boost::system::error_code ignored;
    if (!ec) stream->next_layer().close(ignored);
  });
  boost::system::error_code ec;
  co_await stream->async_handshake(asio::ssl::stream_base::server,
                                   asio::redirect_error(use_awaitable, ec));
  if (!ec)
    co_await asio::async_write(*stream, asio::buffer(text),
                               asio::redirect_error(use_awaitable, ec));
  if (!ec) co_await stream->async_shutdown(asio::redirect_error(use_awaitable, ec));
  timer.cancel();
  boost::system::error_code ignored;
  stream->next_layer().shutdown(tcp::socket::shutdown_both, ignored);
  stream->next_layer().close(ignored);
}

}  // namespace

void refuse_connection(ServerContext& context, tcp::socket socket, bool implicit_tls,
                       std::string reply_line) {
  auto text = std::make_shared<std::string>(std::move(reply_line) + "\r\n");
  if (implicit_tls) {
    // Bounded: beyond [server] max_tls_refusals handshakes at once a refused client is closed
    // without a reply (fails closed: it is refused either way).
    if (context.tls_refusals.fetch_add(1) >= context.config.server.max_tls_refusals) {
      context.tls_refusals.fetch_sub(1);
      obs::metrics().count(obs::Outcome::kConnectionTlsRefusalsFull);
      boost::system::error_code ignored;
      socket.close(ignored);
      return;
    }
    auto place = std::make_shared<RefusalPlace>(RefusalPlace{&context.tls_refusals});
    auto executor = socket.get_executor();
    auto stream = std::make_shared<asio::ssl::stream<tcp::socket>>(std::move(socket),
                                                                   *context.tls->current());
    asio::co_spawn(
        executor,
        refuse_over_tls(stream, std::move(*text),
                        std::chrono::seconds(context.config.smtp.tls_handshake_timeout_s),
                        std::move(place)),
        asio::detached);
    return;
  }
  auto shared = std::make_shared<tcp::socket>(std::move(socket));
  asio::async_write(*shared, asio::buffer(*text),
                    [shared, text](const boost::system::error_code&, size_t) {
                      boost::system::error_code ignored;
                      shared->shutdown(tcp::socket::shutdown_both, ignored);
                      shared->close(ignored);
                    });
}

}  // namespace pw::smtp
