// Proves the delivery client against real SMTP servers on loopback: aiosmtpd driven by
// tests/peers/smtp_receiver.py (modes that accept, refuse, stall and break connections) and
// Postfix's smtp-sink. The peers record what they received, so the tests check the bytes and
// commands that actually went over the wire.
#include "delivery/client_session.hpp"

#include <gtest/gtest.h>

#include <boost/asio/ssl/context.hpp>

#include "../registry_defaults.hpp"
#include "client_test_peers.hpp"

namespace pw::delivery {
namespace {

namespace asio = boost::asio;
using std::chrono::seconds;
using test::run_bounded;
using test::SmtpReceiver;
using test::SmtpSink;
using Connected = tl::expected<std::unique_ptr<SmtpClientConnection>, ConnectError>;

class ClientSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(test::python_has_aiosmtpd())
        << "python3-aiosmtpd is missing for /usr/bin/python3: run scripts/setup.sh";
    options_ = ClientOptions::from(test::registry_defaults().delivery);
    options_.helo_name = "client.test";
  }

  Connected connect(const asio::ip::tcp::endpoint& endpoint) {
    return run_bounded(
        io_, SmtpClientConnection::connect(io_.get_executor(), endpoint, "localhost", options_));
  }

  // Connects and fails the test when that does not work.
  std::unique_ptr<SmtpClientConnection> connect_ok(const asio::ip::tcp::endpoint& endpoint) {
    Connected connected = connect(endpoint);
    if (!connected) {
      ADD_FAILURE() << "connect failed: " << connected.error().reason;
      return nullptr;
    }
    return std::move(*connected);
  }

  TransactionResult send(SmtpClientConnection& connection, const Transaction& transaction) {
    return run_bounded(io_, connection.send(transaction));
  }

  asio::io_context io_;
  ClientOptions options_;
};

Transaction make_transaction(std::string_view message,
                             std::vector<std::string> recipients = {"rcpt@example.com"}) {
  Transaction t;
  t.mail_from = "sender@example.com";
  t.recipients = std::move(recipients);
  t.message = message;
  return t;
}

size_t count(const std::string& text, std::string_view needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

std::vector<std::string> strings(const nlohmann::json& array) {
  return array.get<std::vector<std::string>>();
}

// ---- delivery and the bytes on the wire -------------------------------------------------------

TEST_F(ClientSessionTest, DeliversExactBytesWithLeadingDotsAndAddsTheFinalLineEnd) {
  SmtpReceiver peer({});
  auto connection = connect_ok(peer.endpoint());
  ASSERT_TRUE(connection);
  const std::string message =
      "Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nmid.dle\r\n8-bit: caf\xc3\xa9\r\n"
      "last line without end";
  Transaction t = make_transaction(message);
  t.eight_bit = true;
  TransactionResult result = send(*connection, t);

  EXPECT_FALSE(result.connection_lost) << result.error;
  ASSERT_TRUE(result.mail_reply);
  EXPECT_EQ(result.mail_reply->code, 250);
  ASSERT_EQ(result.rcpt_replies.size(), 1u);
  EXPECT_EQ(result.rcpt_replies[0].code, 250);
  EXPECT_EQ(result.rcpt_replies[0].enhanced, "2.1.5");
  ASSERT_TRUE(result.data_reply);
  EXPECT_EQ(result.data_reply->code, 250);
  EXPECT_EQ(result.outcome(0).code, 250);
  EXPECT_TRUE(connection->usable());

  auto messages = peer.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].data, message + "\r\n");
  EXPECT_EQ(messages[0].envelope["mail_from"], "sender@example.com");
  EXPECT_EQ(strings(messages[0].envelope["rcpt_tos"]),
            std::vector<std::string>{"rcpt@example.com"});
  auto mail_options = strings(messages[0].envelope["mail_options"]);
  EXPECT_EQ(mail_options, (std::vector<std::string>{"SIZE=" + std::to_string(message.size() + 2),
                                                    "BODY=8BITMIME"}));
  EXPECT_EQ(messages[0].envelope["helo"], "client.test");
  EXPECT_TRUE(messages[0].envelope["tls"].is_null());
}

TEST_F(ClientSessionTest, StreamsALargeMessageUnchangedAcrossChunkBoundaries) {
  SmtpReceiver peer({});
  auto connection = connect_ok(peer.endpoint());
  ASSERT_TRUE(connection);
  // Lines of 80 octets, some starting with '.', and a dotted line straddling each 64 KiB
  // boundary of the client's chunks.
  std::string message = "Subject: large\r\n\r\n";
  while (message.size() < 3 * 1024 * 1024) {
    size_t next_boundary = (message.size() / 65536 + 1) * 65536;
    if (next_boundary - message.size() < 80) {
      message.append(next_boundary - message.size() - 2, 'p');
      message += "\r\n.at the boundary\r\n";
    }
    message += (message.size() / 80) % 7 == 0 ? ".dotted " : "plain ";
    message.append(70, 'x');
    message += "\r\n";
  }
  TransactionResult result = send(*connection, make_transaction(message));
  ASSERT_TRUE(result.data_reply) << result.error;
  EXPECT_EQ(result.data_reply->code, 250);
  auto messages = peer.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_TRUE(messages[0].data == message)
      << "received " << messages[0].data.size() << " octets, sent " << message.size();
}

// Issue 17 item 4: a large message is read piece by piece while it is sent.
class PiecesReader final : public MessageReader {
 public:
  PiecesReader(std::string message, size_t piece, size_t fail_after = SIZE_MAX)
      : message_(std::move(message)), piece_(piece), fail_after_(fail_after) {}
  uint64_t size() const override { return message_.size(); }
  bool ends_with_crlf() const override { return message_.ends_with("\r\n"); }
  asio::awaitable<tl::expected<std::string, std::string>> next() override {
    if (at_ >= fail_after_) co_return tl::unexpected(std::string("disk gone"));
    std::string piece = message_.substr(at_, piece_);
    at_ += piece.size();
    co_return piece;
  }

 private:
  std::string message_;
  size_t piece_;
  size_t fail_after_;
  size_t at_ = 0;
};

TEST_F(ClientSessionTest, SendsAMessageFromAReaderUnchanged) {
  SmtpReceiver peer({});
  auto connection = connect_ok(peer.endpoint());
  ASSERT_TRUE(connection);
  std::string message = "Subject: from a file\r\n\r\n";
  for (int i = 0; message.size() < 1024 * 1024; ++i)
    message += (i % 5 == 0 ? ".dotted line " : "line ") + std::to_string(i) + "\r\n";
  message += "no final line end";
  PiecesReader reader(message, 1000);  // pieces that cut lines and dots anywhere
  Transaction t = make_transaction("");
  t.reader = &reader;
  TransactionResult result = send(*connection, t);
  ASSERT_TRUE(result.data_reply) << result.error;
  EXPECT_EQ(result.data_reply->code, 250);
  auto messages = peer.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_TRUE(messages[0].data == message + "\r\n")
      << "received " << messages[0].data.size() << " octets, sent " << message.size();
}

TEST_F(ClientSessionTest, AReaderThatFailsClosesTheConnectionBeforeTheEndOfData) {
  SmtpReceiver peer({});
  auto connection = connect_ok(peer.endpoint());
  ASSERT_TRUE(connection);
  std::string message = "Subject: cut\r\n\r\n";
  while (message.size() < 512 * 1024) message += std::string(78, 'q') + "\r\n";
  PiecesReader reader(message, 65536, 200 * 1024);
  Transaction t = make_transaction("");
  t.reader = &reader;
  TransactionResult result = send(*connection, t);
  EXPECT_TRUE(result.connection_lost);
  EXPECT_FALSE(result.data_reply);
  EXPECT_NE(result.error.find("disk gone"), std::string::npos) << result.error;
  EXPECT_TRUE(result.outcome(0).transient());
  EXPECT_TRUE(peer.messages().empty());  // the server kept nothing
}

TEST_F(ClientSessionTest, SendsTheNullReversePath) {
  SmtpReceiver peer({});
  auto connection = connect_ok(peer.endpoint());
  ASSERT_TRUE(connection);
  Transaction t = make_transaction("Subject: bounce\r\n\r\nbody\r\n");
  t.mail_from = "";
  TransactionResult result = send(*connection, t);
  ASSERT_TRUE(result.data_reply) << result.error;
  EXPECT_EQ(result.data_reply->code, 250);
  EXPECT_NE(peer.commands().find("MAIL FROM:<> SIZE="), std::string::npos) << peer.commands();
}

TEST_F(ClientSessionTest, ReusesOneConnectionForSeveralMessagesWithReset) {
  SmtpReceiver peer({});
  auto connection = connect_ok(peer.endpoint());
  ASSERT_TRUE(connection);
  const std::string bodies[] = {"Subject: 1\r\n\r\none\r\n", "Subject: 2\r\n\r\n.two\r\n",
                                "Subject: 3\r\n\r\nthree\r\n"};
  for (const auto& body : bodies) {
    TransactionResult result = send(*connection, make_transaction(body));
    ASSERT_TRUE(result.data_reply) << result.error;
    EXPECT_EQ(result.data_reply->code, 250);
    EXPECT_TRUE(run_bounded(io_, connection->reset()));
  }
  run_bounded(io_, connection->quit());
  EXPECT_FALSE(connection->usable());

  auto messages = peer.messages();
  ASSERT_EQ(messages.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(messages[i].data, bodies[i]);
    EXPECT_EQ(messages[i].envelope["connection"], 1) << "message " << i;
  }
  std::string commands = peer.commands();
  EXPECT_EQ(count(commands, " RSET"), 3u) << commands;
  EXPECT_EQ(count(commands, " QUIT"), 1u) << commands;
  EXPECT_EQ(count(commands, " EHLO"), 1u) << commands;
}

// ---- PIPELINING -------------------------------------------------------------------------------

TEST_F(ClientSessionTest, PipelinesCommandsOnlyWhenTheServerOffersIt) {
  for (bool offered : {true, false}) {
    SmtpReceiver peer(offered ? std::vector<std::string>{}
                              : std::vector<std::string>{"--no-pipelining"});
    auto connection = connect_ok(peer.endpoint());
    ASSERT_TRUE(connection);
    EXPECT_EQ(connection->extensions().contains("PIPELINING"), offered);
    TransactionResult result = send(
        *connection, make_transaction("Subject: p\r\n\r\nbody\r\n", {"a@example.com", "b@x.org"}));
    ASSERT_TRUE(result.data_reply) << result.error;
    EXPECT_EQ(result.data_reply->code, 250);
    auto messages = peer.messages();
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_EQ(messages[0].envelope["pipelined"], offered) << "offered: " << offered;
    EXPECT_EQ(strings(messages[0].envelope["rcpt_tos"]),
              (std::vector<std::string>{"a@example.com", "b@x.org"}));
  }
}

TEST_F(ClientSessionTest, PipelinesManyRecipientsInBoundedGroups) {
  SmtpReceiver peer({});
  options_.max_pipelined_bytes = 256;  // a few commands per write, so many groups
  auto connection = connect_ok(peer.endpoint());
  ASSERT_TRUE(connection);
  std::vector<std::string> recipients;
  for (int i = 0; i < 150; ++i)
    recipients.push_back((i % 10 == 3 ? "reject" : "user") + std::to_string(i) + "@example.com");
  TransactionResult result =
      send(*connection, make_transaction("Subject: many\r\n\r\nbody\r\n", recipients));
  ASSERT_TRUE(result.data_reply) << result.error;
  EXPECT_EQ(result.data_reply->code, 250);
  ASSERT_EQ(result.rcpt_replies.size(), recipients.size());
  std::vector<std::string> accepted;
  for (size_t i = 0; i < recipients.size(); ++i) {
    EXPECT_EQ(result.rcpt_replies[i].code, i % 10 == 3 ? 550 : 250) << recipients[i];
    if (i % 10 != 3) accepted.push_back(recipients[i]);
  }
  auto messages = peer.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(strings(messages[0].envelope["rcpt_tos"]), accepted);
}

TEST_F(ClientSessionTest, ReportsEachRecipientsReplyInOrder) {
  for (bool pipelining : {true, false}) {
    SmtpReceiver peer(pipelining ? std::vector<std::string>{}
                                 : std::vector<std::string>{"--no-pipelining"});
    auto connection = connect_ok(peer.endpoint());
    ASSERT_TRUE(connection);
    TransactionResult result =
        send(*connection, make_transaction("Subject: mix\r\n\r\nbody\r\n",
                                           {"ok1@example.com", "tempfail1@example.com",
                                            "reject1@example.com", "ok2@example.com"}));
    ASSERT_EQ(result.rcpt_replies.size(), 4u);
    EXPECT_EQ(result.rcpt_replies[0].code, 250);
    EXPECT_EQ(result.rcpt_replies[1].code, 451);
    EXPECT_EQ(result.rcpt_replies[1].enhanced, "4.2.1");
    EXPECT_TRUE(result.rcpt_replies[1].transient());
    EXPECT_EQ(result.rcpt_replies[2].code, 550);
    EXPECT_EQ(result.rcpt_replies[2].enhanced, "5.1.1");
    EXPECT_TRUE(result.rcpt_replies[2].permanent());
    EXPECT_EQ(result.rcpt_replies[3].code, 250);
    ASSERT_TRUE(result.data_reply);
    EXPECT_EQ(result.data_reply->code, 250);
    EXPECT_EQ(result.outcome(0).code, 250);
    EXPECT_EQ(result.outcome(1).code, 451);
    EXPECT_EQ(result.outcome(2).str(),
              "550 5.1.1 <reject1@example.com>: Recipient address rejected");
    auto messages = peer.messages();
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_EQ(strings(messages[0].envelope["rcpt_tos"]),
              (std::vector<std::string>{"ok1@example.com", "ok2@example.com"}));
  }
}

TEST_F(ClientSessionTest, SendsRsetInsteadOfDataWhenNoRecipientIsAccepted) {
  for (bool pipelining : {true, false}) {
    SmtpReceiver peer(pipelining ? std::vector<std::string>{}
                                 : std::vector<std::string>{"--no-pipelining"});
    auto connection = connect_ok(peer.endpoint());
    ASSERT_TRUE(connection);
    TransactionResult refused =
        send(*connection, make_transaction("Subject: none\r\n\r\nbody\r\n",
                                           {"reject1@example.com", "tempfail2@example.com"}));
    EXPECT_FALSE(refused.connection_lost) << refused.error;
    ASSERT_EQ(refused.rcpt_replies.size(), 2u);
    EXPECT_EQ(refused.rcpt_replies[0].code, 550);
    EXPECT_EQ(refused.rcpt_replies[1].code, 451);
    EXPECT_FALSE(refused.data_reply);
    EXPECT_TRUE(connection->usable());
    std::string commands = peer.commands();
    EXPECT_EQ(count(commands, " RSET"), 1u) << commands;
    // A pipelined DATA is sent with the RCPTs and refused (503); otherwise DATA is never sent.
    EXPECT_EQ(count(commands, " DATA"), pipelining ? 1u : 0u) << commands;

    // The server is outside a transaction: the next one works on the same connection.
    TransactionResult next =
        send(*connection, make_transaction("Subject: next\r\n\r\nbody\r\n", {"ok@example.com"}));
    ASSERT_TRUE(next.data_reply) << next.error;
    EXPECT_EQ(next.data_reply->code, 250);
    EXPECT_EQ(peer.messages().size(), 1u);
  }
}

TEST_F(ClientSessionTest, ReportsTheRefusalOfTheMessageData) {
  SmtpReceiver peer({"--mode", "reject-data"});
  auto connection = connect_ok(peer.endpoint());
  ASSERT_TRUE(connection);
  TransactionResult result = send(*connection, make_transaction("Subject: x\r\n\r\nbody\r\n"));
  EXPECT_FALSE(result.connection_lost);
  EXPECT_EQ(result.rcpt_replies.at(0).code, 250);
  ASSERT_TRUE(result.data_reply);
  EXPECT_EQ(result.data_reply->code, 554);
  EXPECT_EQ(result.data_reply->enhanced, "5.6.0");
  EXPECT_TRUE(result.outcome(0).permanent());
  EXPECT_TRUE(connection->usable());
  EXPECT_TRUE(peer.messages().empty());
}

TEST_F(ClientSessionTest, ReportsTemporaryRefusalOfEveryRecipient) {
  SmtpReceiver peer({"--mode", "tempfail-rcpt"});
  auto connection = connect_ok(peer.endpoint());
  ASSERT_TRUE(connection);
  TransactionResult result = send(
      *connection, make_transaction("Subject: x\r\n\r\nbody\r\n", {"a@example.com", "b@x.org"}));
  ASSERT_EQ(result.rcpt_replies.size(), 2u);
  for (const auto& reply : result.rcpt_replies) EXPECT_TRUE(reply.transient()) << reply.str();
  EXPECT_FALSE(result.data_reply);
  EXPECT_TRUE(connection->usable());
}

// ---- STARTTLS ---------------------------------------------------------------------------------

std::shared_ptr<asio::ssl::context> client_tls() {
  return std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
}

TEST_F(ClientSessionTest, UsesStartTlsWhenOffered) {
  SmtpReceiver peer({"--tls"});
  options_.tls = client_tls();
  auto connection = connect_ok(peer.endpoint());
  ASSERT_TRUE(connection);
  EXPECT_TRUE(connection->tls_active());
  EXPECT_NE(connection->tls_description().find("TLSv1."), std::string::npos)
      << connection->tls_description();
  EXPECT_NE(connection->tls_description().find("with cipher"), std::string::npos);
  EXPECT_FALSE(connection->extensions().contains("STARTTLS"));
  TransactionResult result = send(*connection, make_transaction("Subject: tls\r\n\r\n.x\r\n"));
  ASSERT_TRUE(result.data_reply) << result.error;
  EXPECT_EQ(result.data_reply->code, 250);
  auto messages = peer.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].data, "Subject: tls\r\n\r\n.x\r\n");
  EXPECT_TRUE(messages[0].envelope["tls"].is_string());
  run_bounded(io_, connection->quit());
  EXPECT_EQ(count(peer.commands(), " EHLO"), 2u) << "EHLO again after TLS (RFC 3207 4.2)";
}

TEST_F(ClientSessionTest, StaysInPlaintextWithoutAClientTlsContext) {
  SmtpReceiver peer({"--tls"});
  auto connection = connect_ok(peer.endpoint());
  ASSERT_TRUE(connection);
  EXPECT_FALSE(connection->tls_active());
  EXPECT_EQ(connection->tls_description(), "");
  EXPECT_TRUE(connection->extensions().contains("STARTTLS"));
  EXPECT_EQ(count(peer.commands(), "STARTTLS"), 0u);
}

TEST_F(ClientSessionTest, ReconnectsInPlaintextOnceWhenTheTlsHandshakeFails) {
  SmtpReceiver peer({"--mode", "broken-tls"});
  options_.tls = client_tls();
  auto connection = connect_ok(peer.endpoint());
  ASSERT_TRUE(connection);
  EXPECT_FALSE(connection->tls_active());
  TransactionResult result = send(*connection, make_transaction("Subject: x\r\n\r\nbody\r\n"));
  ASSERT_TRUE(result.data_reply) << result.error;
  EXPECT_EQ(result.data_reply->code, 250);
  std::string commands = peer.commands();
  EXPECT_EQ(count(commands, "STARTTLS"), 1u) << commands;
  EXPECT_EQ(count(commands, " EHLO"), 2u) << commands;
  EXPECT_EQ(peer.messages().at(0).envelope["connection"], 2);
}

TEST_F(ClientSessionTest, RequiredTlsFailsWithoutFallback) {
  options_.tls = client_tls();
  options_.require_tls = true;
  {
    SmtpReceiver peer({});
    Connected connected = connect(peer.endpoint());
    ASSERT_FALSE(connected);
    EXPECT_FALSE(connected.error().permanent);
    EXPECT_NE(connected.error().reason.find("TLS is required"), std::string::npos)
        << connected.error().reason;
  }
  {
    SmtpReceiver peer({"--mode", "broken-tls"});
    Connected connected = connect(peer.endpoint());
    ASSERT_FALSE(connected);
    EXPECT_FALSE(connected.error().permanent);
    EXPECT_NE(connected.error().reason.find("TLS handshake"), std::string::npos)
        << connected.error().reason;
    EXPECT_EQ(count(peer.commands(), " EHLO"), 1u) << "no second, plaintext connection";
  }
}

// ---- time limits and broken connections --------------------------------------------------------

TEST_F(ClientSessionTest, GivesUpOnASlowGreetingAfterTheGreetingTimeout) {
  SmtpReceiver peer({"--mode", "slow", "--delay", "30"});
  options_.greeting_timeout = seconds(1);
  auto start = std::chrono::steady_clock::now();
  Connected connected = connect(peer.endpoint());
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(connected);
  EXPECT_FALSE(connected.error().permanent);
  EXPECT_NE(connected.error().reason.find("timed out while receiving the initial server greeting"),
            std::string::npos)
      << connected.error().reason;
  EXPECT_LT(elapsed, seconds(10));
}

TEST_F(ClientSessionTest, DeliversToASlowServerWithinTheTimeouts) {
  SmtpReceiver peer({"--mode", "slow", "--delay", "0.2"});
  options_.greeting_timeout = seconds(5);
  options_.command_timeout = seconds(5);
  auto connection = connect_ok(peer.endpoint());
  ASSERT_TRUE(connection);
  TransactionResult result = send(*connection, make_transaction("Subject: slow\r\n\r\nbody\r\n"));
  ASSERT_TRUE(result.data_reply) << result.error;
  EXPECT_EQ(result.data_reply->code, 250);
}

TEST_F(ClientSessionTest, LosesTheConnectionWhenTheFinalReplyTakesTooLong) {
  SmtpReceiver peer({"--mode", "slow-data", "--delay", "30"});
  options_.data_end_timeout = seconds(1);
  auto connection = connect_ok(peer.endpoint());
  ASSERT_TRUE(connection);
  auto start = std::chrono::steady_clock::now();
  TransactionResult result = send(*connection, make_transaction("Subject: x\r\n\r\nbody\r\n"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(10));
  EXPECT_TRUE(result.connection_lost);
  EXPECT_FALSE(result.data_reply);
  EXPECT_NE(result.error.find("timed out while sending end of data"), std::string::npos)
      << result.error;
  EXPECT_EQ(result.outcome(0).code, 451);
  EXPECT_EQ(result.outcome(0).enhanced, "4.4.2");
  EXPECT_FALSE(connection->usable());
  EXPECT_FALSE(run_bounded(io_, connection->reset()));
}

TEST_F(ClientSessionTest, LosesTheConnectionWhenTheServerDropsItDuringData) {
  SmtpReceiver peer({"--mode", "drop-mid-data"});
  auto connection = connect_ok(peer.endpoint());
  ASSERT_TRUE(connection);
  std::string message = "Subject: big\r\n\r\n";
  while (message.size() < 4 * 1024 * 1024) message += std::string(78, 'z') + "\r\n";
  TransactionResult result = send(*connection, make_transaction(message));
  EXPECT_TRUE(result.connection_lost);
  EXPECT_FALSE(result.data_reply);
  EXPECT_NE(result.error.find("lost connection"), std::string::npos) << result.error;
  EXPECT_TRUE(result.outcome(0).transient());
  EXPECT_FALSE(connection->usable());
  TransactionResult after = send(*connection, make_transaction("Subject: x\r\n\r\nbody\r\n"));
  EXPECT_TRUE(after.connection_lost);
  EXPECT_EQ(after.rcpt_replies.size(), 1u);
}

TEST_F(ClientSessionTest, GivesUpWhenTheServerStopsReadingTheMessage) {
  // smtp-sink waits 30 s before its first read after DATA, with a tiny TCP window: the client's
  // writes stall and the data block timeout must end them.
  SmtpSink sink({"-H", "30", "-T", "1024"});
  options_.data_block_timeout = seconds(1);
  auto connection = connect_ok(sink.endpoint());
  ASSERT_TRUE(connection);
  std::string message = "Subject: stalled\r\n\r\n";
  while (message.size() < 32 * 1024 * 1024) message += std::string(998, 's') + "\r\n";
  auto start = std::chrono::steady_clock::now();
  TransactionResult result = send(*connection, make_transaction(message));
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(15));
  EXPECT_TRUE(result.connection_lost);
  EXPECT_NE(result.error.find("timed out while sending message body"), std::string::npos)
      << result.error;
  EXPECT_FALSE(connection->usable());
}

TEST_F(ClientSessionTest, TakesA421AsTheAnswerToEveryCommandLeft) {
  SmtpSink sink({"-Q", "RCPT"});  // 421 and disconnect at the first RCPT
  auto connection = connect_ok(sink.endpoint());
  ASSERT_TRUE(connection);
  TransactionResult result = send(
      *connection, make_transaction("Subject: x\r\n\r\nbody\r\n", {"a@example.com", "b@x.org"}));
  EXPECT_FALSE(result.connection_lost) << "the server answered";
  ASSERT_TRUE(result.mail_reply);
  EXPECT_EQ(result.mail_reply->code, 250);
  ASSERT_EQ(result.rcpt_replies.size(), 2u);
  EXPECT_EQ(result.rcpt_replies[0].code, 421);
  EXPECT_EQ(result.rcpt_replies[1].code, 421);
  EXPECT_TRUE(result.outcome(1).transient());
  EXPECT_NE(result.error.find("said: 421"), std::string::npos) << result.error;
  EXPECT_FALSE(connection->usable());
  EXPECT_FALSE(run_bounded(io_, connection->reset()));
}

TEST_F(ClientSessionTest, GivesUpOnAConnectThatHangsAfterTheConnectTimeout) {
  // A listener that never accepts, its backlog filled: further SYNs go unanswered.
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(listen(listener, 0), 0);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  std::vector<int> fillers;
  for (int i = 0; i < 4; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    fillers.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  options_.connect_timeout = seconds(1);
  options_.greeting_timeout = seconds(2);  // bounded even if the kernel completes the connect
  auto start = std::chrono::steady_clock::now();
  Connected connected = connect(
      asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), ntohs(address.sin_port)));
  auto elapsed = std::chrono::steady_clock::now() - start;
  for (int fd : fillers) close(fd);
  close(listener);
  ASSERT_FALSE(connected);
  EXPECT_FALSE(connected.error().permanent);
  EXPECT_NE(connected.error().reason.find("Connection timed out"), std::string::npos)
      << connected.error().reason;
  EXPECT_LT(elapsed, seconds(10));
}

TEST_F(ClientSessionTest, RefusedConnectionIsAFailureOfThisHostOnly) {
  asio::ip::tcp::endpoint nowhere(asio::ip::make_address("127.0.0.1"),
                                  test::unused_loopback_port());
  Connected connected = connect(nowhere);
  ASSERT_FALSE(connected);
  EXPECT_FALSE(connected.error().permanent);
  EXPECT_EQ(connected.error().reason.rfind("connect to localhost[127.0.0.1]:", 0), 0u)
      << connected.error().reason;
}

// ---- greeting, EHLO and reply bounds -----------------------------------------------------------

TEST_F(ClientSessionTest, TreatsA554GreetingAsAFailureOfThisHostOnly) {
  SmtpReceiver peer({"--mode", "reject-greeting"});
  Connected connected = connect(peer.endpoint());
  ASSERT_FALSE(connected);
  EXPECT_FALSE(connected.error().permanent);
  ASSERT_TRUE(connected.error().reply);
  EXPECT_EQ(connected.error().reply->code, 554);
  EXPECT_NE(connected.error().reason.find("refused to talk to me"), std::string::npos);
  // RFC 5321 3.1: the client sends QUIT; the peer logs it once it arrives.
  bool quit_seen = false;
  for (int i = 0; i < 100 && !quit_seen; ++i) {
    quit_seen = peer.commands().find(" QUIT") != std::string::npos;
    if (!quit_seen) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(quit_seen) << peer.commands();
}

TEST_F(ClientSessionTest, FallsBackToHeloWhenEhloIsRefused) {
  SmtpReceiver peer({"--mode", "no-ehlo"});
  auto connection = connect_ok(peer.endpoint());
  ASSERT_TRUE(connection);
  EXPECT_TRUE(connection->extensions().empty());
  TransactionResult result = send(*connection, make_transaction("Subject: x\r\n\r\nbody\r\n"));
  ASSERT_TRUE(result.data_reply) << result.error;
  EXPECT_EQ(result.data_reply->code, 250);
  EXPECT_NE(peer.commands().find(" HELO client.test"), std::string::npos) << peer.commands();
  auto messages = peer.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_TRUE(messages[0].envelope["mail_options"].empty()) << "no ESMTP parameters after HELO";
}

TEST_F(ClientSessionTest, CutsAReplyWithTooManyLines) {
  SmtpReceiver peer({"--mode", "endless-reply", "--lines", "1000"});
  Connected connected = connect(peer.endpoint());
  ASSERT_FALSE(connected);
  EXPECT_NE(connected.error().reason.find("reply of more than 100 lines"), std::string::npos)
      << connected.error().reason;
}

TEST_F(ClientSessionTest, CutsAnOverlongReplyLine) {
  SmtpReceiver peer({"--mode", "long-reply-line"});
  Connected connected = connect(peer.endpoint());
  ASSERT_FALSE(connected);
  EXPECT_NE(connected.error().reason.find("reply line longer than 4096 octets"), std::string::npos)
      << connected.error().reason;
}

// ---- parameters: SIZE, SMTPUTF8, address syntax -------------------------------------------------

TEST_F(ClientSessionTest, FailsSmtpUtf8MessagesWithoutSendingWhenNotOffered) {
  SmtpReceiver peer({"--no-smtputf8"});
  auto connection = connect_ok(peer.endpoint());
  ASSERT_TRUE(connection);
  Transaction t = make_transaction("Subject: x\r\n\r\nbody\r\n",
                                   {"jos\xc3\xa9@example.com", "plain@example.com"});
  t.smtputf8 = true;
  TransactionResult result = send(*connection, t);
  EXPECT_FALSE(result.connection_lost);
  EXPECT_FALSE(result.mail_reply);
  ASSERT_EQ(result.rcpt_replies.size(), 2u);
  for (const auto& reply : result.rcpt_replies)
    EXPECT_EQ(reply.str(), "553 5.6.7 remote server does not support SMTPUTF8");
  EXPECT_EQ(result.outcome(1).code, 553);
  EXPECT_EQ(peer.commands().find(" MAIL"), std::string::npos) << peer.commands();
  EXPECT_TRUE(connection->usable());
  TransactionResult ascii = send(*connection, make_transaction("Subject: y\r\n\r\nbody\r\n"));
  ASSERT_TRUE(ascii.data_reply) << ascii.error;
  EXPECT_EQ(ascii.data_reply->code, 250);
}

TEST_F(ClientSessionTest, PassesSmtpUtf8ThroughWhenOffered) {
  SmtpReceiver peer({});
  auto connection = connect_ok(peer.endpoint());
  ASSERT_TRUE(connection);
  const std::string message = "Subject: caf\xc3\xa9\r\n\r\nbody\r\n";
  Transaction t = make_transaction(message, {"jos\xc3\xa9@example.com"});
  t.smtputf8 = true;
  t.eight_bit = true;
  TransactionResult result = send(*connection, t);
  ASSERT_TRUE(result.data_reply) << result.error;
  EXPECT_EQ(result.data_reply->code, 250);
  auto messages = peer.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_TRUE(messages[0].envelope["smtputf8"]);
  EXPECT_EQ(strings(messages[0].envelope["rcpt_tos"]),
            std::vector<std::string>{"jos\xc3\xa9@example.com"});
  EXPECT_EQ(messages[0].data, message);
}

TEST_F(ClientSessionTest, DoesNotSendAMessageLargerThanTheServersSizeLimit) {
  SmtpReceiver peer({"--size", "100"});
  auto connection = connect_ok(peer.endpoint());
  ASSERT_TRUE(connection);
  std::string message = "Subject: big\r\n\r\n" + std::string(200, 'b') + "\r\n";
  TransactionResult result = send(*connection, make_transaction(message));
  ASSERT_EQ(result.rcpt_replies.size(), 1u);
  EXPECT_EQ(result.rcpt_replies[0].code, 552);
  EXPECT_EQ(result.rcpt_replies[0].enhanced, "5.3.4");
  EXPECT_EQ(peer.commands().find(" MAIL"), std::string::npos) << peer.commands();
  EXPECT_TRUE(connection->usable());
}

TEST_F(ClientSessionTest, RefusesAddressesThatWouldInjectCommands) {
  SmtpReceiver peer({});
  auto connection = connect_ok(peer.endpoint());
  ASSERT_TRUE(connection);
  TransactionResult result = send(
      *connection,
      make_transaction("Subject: x\r\n\r\nbody\r\n",
                       {"a@example.com>\r\nRSET\r\nRCPT TO:<b@example.com", "good@example.com"}));
  ASSERT_EQ(result.rcpt_replies.size(), 2u);
  EXPECT_EQ(result.rcpt_replies[0].code, 553);
  EXPECT_EQ(result.rcpt_replies[1].code, 250);
  ASSERT_TRUE(result.data_reply) << result.error;
  EXPECT_EQ(strings(peer.messages().at(0).envelope["rcpt_tos"]),
            std::vector<std::string>{"good@example.com"});
  EXPECT_EQ(peer.commands().find("RSET"), std::string::npos) << peer.commands();

  Transaction bad_sender = make_transaction("Subject: x\r\n\r\nbody\r\n");
  bad_sender.mail_from = "x@example.com>\r\nQUIT";
  TransactionResult refused = send(*connection, bad_sender);
  EXPECT_EQ(refused.rcpt_replies.at(0).str(), "553 5.1.7 bad sender address syntax");
  EXPECT_TRUE(connection->usable());
}

// ---- Postfix smtp-sink ------------------------------------------------------------------------

TEST_F(ClientSessionTest, DeliversManyMessagesOverOneConnectionToSmtpSink) {
  SmtpSink sink({});
  auto connection = connect_ok(sink.endpoint());
  ASSERT_TRUE(connection);
  EXPECT_TRUE(connection->extensions().contains("PIPELINING"));
  EXPECT_TRUE(connection->extensions().contains("ENHANCEDSTATUSCODES"));
  constexpr int kMessages = 20;
  for (int i = 0; i < kMessages; ++i) {
    std::string message = "Subject: " + std::to_string(i) + "\r\n\r\n.dot line\r\nbody\r\n";
    TransactionResult result =
        send(*connection, make_transaction(message, {"a@example.com", "b@example.com"}));
    ASSERT_TRUE(result.data_reply) << result.error;
    EXPECT_EQ(result.data_reply->str(), "250 2.0.0 Ok");
    EXPECT_TRUE(run_bounded(io_, connection->reset()));
  }
  run_bounded(io_, connection->quit());
  auto dumps = sink.dumps();
  ASSERT_EQ(dumps.size(), static_cast<size_t>(kMessages));
  for (const auto& dump : dumps) {
    // smtp-sink announces no SIZE, so none is sent.
    EXPECT_NE(dump.find("X-Mail-Args: <sender@example.com>\n"), std::string::npos) << dump;
    EXPECT_NE(dump.find("X-Rcpt-Args: <b@example.com>"), std::string::npos) << dump;
    EXPECT_NE(dump.find("\n\n.dot line\nbody\n"), std::string::npos) << dump;
  }
}

TEST_F(ClientSessionTest, ReportsSmtpSinkSoftRejectionsAndAbruptDisconnects) {
  {
    SmtpSink sink({"-r", "RCPT"});
    auto connection = connect_ok(sink.endpoint());
    ASSERT_TRUE(connection);
    TransactionResult result = send(*connection, make_transaction("Subject: x\r\n\r\nbody\r\n"));
    EXPECT_EQ(result.rcpt_replies.at(0).str(), "450 4.3.0 Error: command failed");
    EXPECT_FALSE(result.data_reply);
    EXPECT_TRUE(connection->usable());
  }
  {
    SmtpSink sink({"-q", "."});  // disconnects after the end of data, without a reply
    auto connection = connect_ok(sink.endpoint());
    ASSERT_TRUE(connection);
    TransactionResult result = send(*connection, make_transaction("Subject: x\r\n\r\nbody\r\n"));
    EXPECT_TRUE(result.connection_lost);
    EXPECT_FALSE(result.data_reply);
    EXPECT_NE(result.error.find("while sending end of data"), std::string::npos) << result.error;
  }
}

}  // namespace
}  // namespace pw::delivery
