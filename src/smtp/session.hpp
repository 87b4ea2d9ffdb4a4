// The SMTP server session's class, shared by its parts (issue 16 item 4): one method per verb,
// each answering with a code, an enhanced code (RFC 3463) and a text. Replies are queued and sent
// when the session would otherwise wait for input, which is what PIPELINING (RFC 2920) needs.
// The parts, in the order a message meets them:
//   session_stream    reading, writing, deadlines, the command loop, STARTTLS
//   session_commands  dispatch, EHLO/HELO, RSET, MAIL syntax
//   session_auth      AUTH PLAIN and LOGIN
//   session_envelope  MAIL and RCPT with their policy checks
//   session_data      DATA read and inspected
//   session_accept    act on the verdict, sign, spool, archive, queue
//   session_bounce    the bounce listener (F-BATV)
// Internal to smtp/: server_session.hpp is the module's interface.
// SECURITY: talks to SMTP clients on the network. Input is bounded at the first read (command
// lines, AUTH lines, message size); client strings are made printable before they are logged.
// Trust: every byte from the socket.
#pragma once
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dkim/message_signer.hpp"
#include "mail/envelope.hpp"
#include "mail/message_content.hpp"
#include "mail/printable.hpp"
#include "mail/sender.hpp"
#include "net/tls_socket.hpp"
#include "obs/outcomes.hpp"
#include "policy/identity_method.hpp"
#include "policy/policy_chain.hpp"
#include "policy/policy_snapshot.hpp"
#include "policy/spam_evidence.hpp"
#include "policy/transaction.hpp"
#include "smtp/command_parser.hpp"
#include "smtp/data_reader.hpp"
#include "smtp/message_spill.hpp"
#include "smtp/reply.hpp"
#include "smtp/server_context.hpp"
#include "smtp/server_session.hpp"
#include "smtp/submission_headers.hpp"
#include "util/ip_address.hpp"

namespace pw::smtp::detail {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// How much one read asks the kernel for.
inline constexpr size_t kReadChunk = 16 * 1024;
// What a session waiting for a new command reads into: its buffer is given back before the wait,
// so an idle session holds none of kReadChunk (issue 17, item 3); a partial line or DATA reads
// kReadChunk at a time.
inline constexpr size_t kIdleReadChunk = 1024;

using mail::printable;

enum class LineStatus { kLine, kTooLong, kClosed, kTimeout, kDeadline, kStopped };
enum class Flow { kContinue, kClose };

// What the session answers to a blocking verdict; `error` counts it towards max_errors.
struct Answer {
  Reply reply;
  bool error = false;
};

class Session final : public StoppableSession, public std::enable_shared_from_this<Session> {
 public:
  Session(ServerContext& context, tcp::socket socket, bool implicit_tls,
          net::ConnectionLimiter::Slot slot, SessionMode mode)
      : inbound_(mode == SessionMode::kInbound),
        ctx_(context),
        limits_(context.config.smtp),
        executor_(socket.get_executor()),
        socket_(std::move(socket)),
        implicit_tls_(implicit_tls),
        slot_(std::move(slot)),
        timer_(executor_) {
    boost::system::error_code ec;
    auto endpoint = socket_.remote_endpoint(ec);
    auto address = endpoint.address();
    if (address.is_v6() && address.to_v6().is_v4_mapped())
      address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    client_ip_ = ec ? std::string("unknown") : address.to_string();
    if (auto parsed = util::IpAddress::parse(client_ip_)) client_address_ = *parsed;
  }

  ~Session() override {
    if (registered_) ctx_.sessions.remove(registry_handle_);
  }

  void start();
  void request_stop() override;

 private:
  // ---- session_stream.cpp ----------------------------------------------------------
  void cancel_io();
  void close();
  // Sets the time by which the current wait must end; the watchdog cancels I/O after it.
  void arm_until(Clock::time_point deadline);
  awaitable<void> watchdog();
  awaitable<bool> flush();
  // Appends what the client sent next to in_; false on end of stream, error or time-out.
  awaitable<bool> read_more(size_t chunk = kReadChunk);
  // Reads one line ending in LF (CR before it removed). `max_length` counts the line end; a
  // longer line is drained to its end and reported as kTooLong. Each read must come within
  // idle_timeout_s of the last, and the whole line within command_deadline_s however it
  // trickles in (issue 15, item 6).
  awaitable<LineStatus> read_line(size_t max_length, std::string& line);
  void send_error(const Reply& reply);
  awaitable<void> run();
  awaitable<bool> handshake();
  awaitable<Flow> on_starttls();

  // ---- session_commands.cpp --------------------------------------------------------
  awaitable<Flow> dispatch(const std::string& line);
  // The verbs that wait for nothing: EHLO, HELO, RCPT, RSET, NOOP, QUIT, VRFY, HELP.
  Flow on_simple_command(const Command& command);
  void on_hello(const Command& command, bool extended);
  void reset_transaction();
  std::optional<Reply> check_mail(const Command& command) const;

  // ---- session_envelope.cpp --------------------------------------------------------
  awaitable<void> on_mail(const Command& command);
  // F-IPREP: the block lists' answers for the client IP, before the MAIL checks run.
  // The policy's view of this transaction, from MAIL on.
  void start_policy_transaction(const mail::Sender& sender, const std::string& mail_from,
                                std::optional<uint64_t> declared_size);
  policy::IdentityInput identity_input(std::string_view message) const;
  void on_rcpt(const Command& command);
  // Item 13 of issue 15: the trail and the log line of the decision that was enforced carry the
  // reply the client is really given (`sent`), not the check's own text.
  void record_decisions(policy::ChainResult& result, const std::string& id, const Reply* sent);

  // ---- session_data.cpp ------------------------------------------------------------
  awaitable<Flow> on_data();
  // Reads the message up to "." within data_timeout_s between reads and data_deadline_s in all,
  // feeding the DKIM body hash; false when the client is gone or too slow (answered 421).
  // Data beyond [smtp] data_memory_bytes goes on to `spill`'s file as it arrives.
  awaitable<bool> read_data(DataReader& reader, MessageSpill& spill,
                            std::optional<dkim::BodyHasher>& hasher);
  // The refusal of a message that was read but is malformed, too big, looping or has too many
  // header fields (or could not be kept); nullopt when it may go on.
  std::optional<Reply> data_refusal(DataReader& reader, const MessageSpill& spill) const;
  std::string received_header(const std::string& id) const;
  // Blocking work of a spam verdict (counters, maybe a lock and its notices) off the loop. The
  // lock names the message by its queue id (F-LOCK-WHY).
  awaitable<void> count_spam(const policy::Verdict& verdict, const std::string& id,
                             policy::SpamOutcome outcome);

  // ---- session_accept.cpp ----------------------------------------------------------
  // A blocking verdict at the end of DATA: refuse, or hold in quarantine and answer as the
  // user's quarantine response says, or discard. Nothing is acknowledged before it is durable.
  awaitable<Answer> act_on_verdict(const policy::Verdict& verdict, const mail::Envelope& envelope,
                                   const std::string& trace, const mail::MessageContent& message);
  // F-DKIM-SEL: the user's selector, else the domain's; nullopt = not signed.
  std::optional<dkim::SigningChoice> signing_choice() const;
  // The envelope of the message just read: what every accepted message records of its session
  // and transaction (the caller adds who sent it).
  mail::Envelope new_envelope();
  // F-IDENT: the identity from the header rules; the headers they name are removed.
  // `head` is the header section (or the whole message held in memory); an edit is made in
  // `edited` and `head` then points at it.
  void read_header_identity(const std::string& id, std::string_view& head, std::string& edited);
  // RFC 6409 8.2, 8.3: Date and Message-ID for a message whose header section lacks them.
  SubmissionHeaders complete_headers(const mail::Envelope& envelope, std::string_view& head,
                                     std::string& edited);
  awaitable<Flow> accept_message(const mail::MessageContent& data,
                                 const std::optional<dkim::SigningChoice>& signing,
                                 const dkim::BodyHasher::Digests& body_hashes);
  // The DATA stage's inspection (policy/data_inspection) and the chain's verdict, recorded.
  awaitable<policy::ChainResult> judge_message(mail::Envelope& envelope, const std::string& trace,
                                               const mail::MessageContent& message,
                                               const SubmissionHeaders& added);
  awaitable<bool> sign_and_spool(mail::Envelope& envelope, const std::string& trace,
                                 const mail::MessageContent& message,
                                 const dkim::SigningChoice* choice,
                                 const dkim::BodyHasher::Digests& body_hashes,
                                 dkim::SignOutcome& signed_as);
  awaitable<void> archive_accepted(const mail::Envelope& envelope, const std::string& trace,
                                   const mail::MessageContent& message);
  void log_accepted(const mail::Envelope& envelope, const dkim::SigningChoice* choice,
                    const dkim::SignOutcome& signed_as) const;

  // ---- session_auth.cpp ------------------------------------------------------------
  // Reads a SASL response line; nullopt when the client cancelled ("*") or vanished.
  awaitable<std::optional<std::string>> read_sasl_response(bool& connection_lost);
  awaitable<Flow> on_auth(const Command& command);
  // AUTH refused before the exchange (no EHLO, already authenticated, in a transaction, no TLS,
  // banned): the flow after the reply; nullopt when the exchange may start.
  std::optional<Flow> auth_refusal();
  struct Credentials {
    std::string username;
    std::string password;  // wiped by verify_credentials
  };
  // The PLAIN and LOGIN exchanges; nullopt when refused (answered) or the client is gone (`lost`).
  awaitable<std::optional<Credentials>> read_plain(std::string initial, bool& lost);
  awaitable<std::optional<Credentials>> read_login(const std::string& initial, bool& lost);
  awaitable<Flow> verify_credentials(const std::string& username, std::string& password);

  // ---- session_bounce.cpp ----------------------------------------------------------
  void on_inbound_mail(const Command& command);
  void refuse_bounce(const std::string& rcpt, obs::Outcome outcome, std::string_view reason,
                     std::string text);
  void on_inbound_rcpt(const Command& command);
  // The bounce is spooled (synced) before 250, then queued for the original addresses' routes.
  awaitable<Flow> accept_bounce(const mail::MessageContent& message);

  void arm(std::chrono::seconds timeout) { arm_until(Clock::now() + timeout); }

  void send(const Reply& reply) { out_ += reply.render(); }

  bool auth_offered() const { return !inbound_ && (tls_ || !ctx_.config.tls.require_tls_for_auth); }

  // ---- F-BATV: the bounce listener (SessionMode::kInbound) -----------------------------------
  // Only delivery status notifications come in here: MAIL FROM:<> and recipients whose prvs= tag
  // this node made and that has not expired. Each recipient is rewritten to its original address
  // and the message goes to that address's route like any mail; it never causes a DSN itself.
  static constexpr std::string_view kInboundOnly =
      "This listener accepts only delivery status notifications (MAIL FROM:<>) to addresses "
      "tagged by this gateway";

  const bool inbound_;  // SessionMode::kInbound

  ServerContext& ctx_;
  const config::SmtpConfig& limits_;
  asio::any_io_executor executor_;
  tcp::socket socket_;
  // Made at STARTTLS (or at once on an implicit-TLS listener), from the certificate current then:
  // a plain session holds no TLS state and none of its buffers (issue 17, item 3).
  std::optional<net::TlsSocket> tls_socket_;
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

}  // namespace pw::smtp::detail
