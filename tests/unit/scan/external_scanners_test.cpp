// Proves the external scanner clients' own parts (F-SPAM rspamd/spamd): address parsing, the
// reply parsers on replies as rspamd 3.4 and spamd 4.0 send them, bad replies as one-line
// errors, the connect and total deadlines against deliberately silent loopback peers, oversized
// messages not sent, and the [rspamd]/[spamd] config checks. The exchanges with the real daemons
// are in tests/e2e/test_external_scanners.py.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <string>

#include "../registry_defaults.hpp"
#include "config/config.hpp"
#include "scan/external_scans.hpp"
#include "scan/rspamd_client.hpp"
#include "scan/spamd_client.hpp"

namespace pw::scan {
namespace {
using config::parse_http_url;
using config::parse_spamd_address;

TEST(ExternalScannersUrl, ParsesHostPortAndPath) {
  auto a = parse_http_url("http://127.0.0.1:11333");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 11333);
  EXPECT_EQ(a->base_path, "");
  auto b = parse_http_url("http://[::1]:8080/rspamd/");
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 8080);
  EXPECT_EQ(b->base_path, "/rspamd");
  auto c = parse_http_url("http://localhost");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->port, 80);
  for (const char* bad : {"https://127.0.0.1:11333", "127.0.0.1:11333", "http://:11333",
                          "http://127.0.0.1:0", "http://127.0.0.1:70000", "http://[::1:5",
                          "http://h:12x", "http://::1:11333", "http://h:", "http://[::1]x"})
    EXPECT_FALSE(parse_http_url(bad)) << bad;
}

TEST(ExternalScannersUrl, ParsesSpamdAddresses) {
  auto a = parse_spamd_address("127.0.0.1:783");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 783);
  EXPECT_EQ(a->text(), "127.0.0.1:783");
  auto b = parse_spamd_address("[::1]:7830");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->text(), "[::1]:7830");
  auto c = parse_spamd_address("/run/spamd.sock");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->unix_path, "/run/spamd.sock");
  for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", ":783", "[::1]783", "h:99999"})
    EXPECT_FALSE(parse_spamd_address(bad)) << bad;
}

TEST(ExternalScannersRspamd, ParsesACheckv2Reply) {
  // As rspamd 3.4 answers a GTUBE message.
  std::string json =
      R"({"is_skipped":true,"score":15.0,"required_score":15.0,"action":"reject",)"
      R"("symbols":{"GTUBE":{"name":"GTUBE","score":0.0,"metric_score":0.0},)"
      R"("MIME_GOOD":{"name":"MIME_GOOD","score":-0.1},"R_BIG":{"name":"R_BIG","score":3.5}},)"
      R"("messages":{"smtp_message":"Gtube pattern"},"message-id":"a1@example.com"})";
  auto r = parse_rspamd_reply(json, {"reject"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->outcome, ScanOutcome::kScanned);
  EXPECT_TRUE(r->spam);
  EXPECT_DOUBLE_EQ(r->score, 15.0);
  EXPECT_DOUBLE_EQ(r->required, 15.0);
  EXPECT_EQ(r->action, "reject");
  ASSERT_EQ(r->symbols.size(), 3u);
  EXPECT_EQ(r->symbols[0].name, "R_BIG");  // highest score first
  EXPECT_EQ(r->symbols[2].name, "MIME_GOOD");
  EXPECT_EQ(r->summary(2),
            "score 15.00/15.00, action reject, symbols R_BIG(3.50) GTUBE(0.00) +1 more");
}

// Found by fuzz_scanner_replies' 10-minute run: a symbol named "" became an unnamed reason.
TEST(ExternalScannersRspamd, SymbolsWithoutANameAreDropped) {
  auto r = parse_rspamd_reply(
      R"({"score":15.0,"action":"reject","symbols":{"":{"score":15.0},"GTUBE":{"score":0.0}}})",
      {"reject"});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->symbols.size(), 1u);
  EXPECT_EQ(r->symbols[0].name, "GTUBE");
}

TEST(ExternalScannersRspamd, TheSpamActionsDecide) {
  std::string json = R"({"score":7.1,"required_score":15,"action":"add header","symbols":{}})";
  auto strict = parse_rspamd_reply(json, {"reject", "add header"});
  ASSERT_TRUE(strict);
  EXPECT_TRUE(strict->spam);
  auto plain = parse_rspamd_reply(json, {"reject"});
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->spam);
  EXPECT_EQ(plain->action, "add header");
}

TEST(ExternalScannersRspamd, BadRepliesAreOneLineErrors) {
  for (const char* bad :
       {"", "not json", "[1,2]", R"({"action":"reject"})", R"({"score":"high","action":"reject"})",
        R"({"score":1})", R"({"error":"cannot parse\nthe input"})"}) {
    auto r = parse_rspamd_reply(bad, {"reject"});
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().message.find('\n'), std::string::npos) << r.error().message;
  }
}

TEST(ExternalScannersSpamd, ParsesAReportReply) {
  // As spamd 4.0 answers REPORT for a GTUBE message (report shortened).
  std::string reply =
      "SPAMD/1.1 0 EX_OK\r\n"
      "Content-length: 600\r\n"
      "Spam: True ; 1002.5 / 5.0\r\n"
      "\r\n"
      "Spam detection software, running on the system \"host\",\n"
      "has identified this incoming email as possible spam.\n\n"
      "Content analysis details:   (1002.5 points, 5.0 required)\n\n"
      " pts rule name              description\n"
      "---- ---------------------- --------------------------------------------------\n"
      "1000 GTUBE                  BODY: Generic Test for Unsolicited Bulk Email\n"
      " 2.5 MSGID_SHORT            Message-ID is unusually short\n"
      "                            continued description 1.0 NOT_A_RULE\n"
      "-0.0 NO_RELAYS              Informational: message was not relayed via SMTP\n";
  auto r = parse_spamd_reply(reply);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->spam);
  EXPECT_DOUBLE_EQ(r->score, 1002.5);
  EXPECT_DOUBLE_EQ(r->required, 5.0);
  EXPECT_EQ(r->action, "spam");
  ASSERT_EQ(r->symbols.size(), 3u);
  EXPECT_EQ(r->symbols[0].name, "GTUBE");
  EXPECT_DOUBLE_EQ(r->symbols[0].score, 1000);
  EXPECT_EQ(r->symbols[1].name, "MSGID_SHORT");
  EXPECT_EQ(r->symbols[2].name, "NO_RELAYS");
}

TEST(ExternalScannersSpamd, CleanAndBadReplies) {
  auto ham = parse_spamd_reply("SPAMD/1.1 0 EX_OK\r\nSpam: False ; -0.3 / 5.0\r\n\r\n");
  ASSERT_TRUE(ham) << ham.error().message;
  EXPECT_FALSE(ham->spam);
  EXPECT_DOUBLE_EQ(ham->score, -0.3);
  for (const char* bad :
       {"", "HTTP/1.1 200 OK\r\n\r\n", "SPAMD/1.0 76 Bad header line\r\n\r\n",
        "SPAMD/1.1 0 EX_OK\r\n\r\n", "SPAMD/1.1 0 EX_OK\r\nSpam: Maybe ; 1 / 5\r\n",
        "SPAMD/1.1 0 EX_OK\r\nSpam: True ; x / 5\r\n"}) {
    auto r = parse_spamd_reply(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().message.find('\n'), std::string::npos) << r.error().message;
  }
}

// A loopback port where nothing listens: bound, then closed.
uint16_t closed_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

TEST(ExternalScannersNet, ConnectionRefusedIsAFailureNamingTheAddress) {
  uint16_t port = closed_port();
  RspamdOptions ro = RspamdOptions::from(test::registry_defaults().rspamd);
  ro.endpoint = {"127.0.0.1", port, ""};
  auto r = scan_rspamd("Subject: x\r\n\r\nhi\r\n", {}, ro);
  EXPECT_EQ(r.outcome, ScanOutcome::kFailed);
  EXPECT_EQ(r.scanner, "rspamd");
  EXPECT_NE(r.error.find("cannot connect to 127.0.0.1:" + std::to_string(port)), std::string::npos)
      << r.error;
  SpamdOptions so = SpamdOptions::from(test::registry_defaults().spamd);
  so.address = *parse_spamd_address("127.0.0.1:" + std::to_string(port));
  so.accept_on_failure = true;
  auto s = scan_spamd("Subject: x\r\n\r\nhi\r\n", {}, so);
  EXPECT_EQ(s.outcome, ScanOutcome::kFailed);
  EXPECT_TRUE(s.accept_on_failure);
  EXPECT_NE(s.error.find("cannot connect"), std::string::npos) << s.error;
  SpamdOptions unix_options = SpamdOptions::from(test::registry_defaults().spamd);
  unix_options.address = *parse_spamd_address("/nonexistent/spamd.sock");
  auto u = scan_spamd("Subject: x\r\n\r\nhi\r\n", {}, unix_options);
  EXPECT_EQ(u.outcome, ScanOutcome::kFailed);
  EXPECT_NE(u.error.find("/nonexistent/spamd.sock"), std::string::npos) << u.error;
}

TEST(ExternalScannersNet, ASilentPeerEndsAtTheTotalDeadline) {
  // A deliberately misbehaving peer: the kernel accepts the connection (listen backlog), and
  // nothing ever reads or answers.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor silent(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  uint16_t port = silent.local_endpoint().port();
  RspamdOptions ro = RspamdOptions::from(test::registry_defaults().rspamd);
  ro.endpoint = {"127.0.0.1", port, ""};
  ro.timeout = std::chrono::milliseconds(300);
  auto t0 = std::chrono::steady_clock::now();
  auto r = scan_rspamd("Subject: x\r\n\r\nhi\r\n", {}, ro);
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(r.outcome, ScanOutcome::kFailed);
  EXPECT_NE(r.error.find("timed out after 300 ms"), std::string::npos) << r.error;
  EXPECT_GE(took, std::chrono::milliseconds(290));
  EXPECT_LT(took, std::chrono::milliseconds(2000));
  SpamdOptions so = SpamdOptions::from(test::registry_defaults().spamd);
  so.address = *parse_spamd_address("127.0.0.1:" + std::to_string(port));
  so.timeout = std::chrono::milliseconds(200);
  t0 = std::chrono::steady_clock::now();
  auto s = scan_spamd("Subject: x\r\n\r\nhi\r\n", {}, so);
  took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(s.outcome, ScanOutcome::kFailed);
  EXPECT_NE(s.error.find("timed out after 200 ms"), std::string::npos) << s.error;
  EXPECT_LT(took, std::chrono::milliseconds(2000));
}

TEST(ExternalScannersNet, MessagesAboveMaxBytesAreNotSent) {
  uint16_t port = closed_port();  // would fail if a connection were attempted
  RspamdOptions ro = RspamdOptions::from(test::registry_defaults().rspamd);
  ro.endpoint = {"127.0.0.1", port, ""};
  ro.max_bytes = 10;
  auto r = scan_rspamd("Subject: a message of more than ten bytes\r\n\r\n", {}, ro);
  EXPECT_EQ(r.outcome, ScanOutcome::kSkipped);
  EXPECT_NE(r.error.find("larger than max_bytes 10"), std::string::npos) << r.error;
  SpamdOptions so = SpamdOptions::from(test::registry_defaults().spamd);
  so.address = *parse_spamd_address("127.0.0.1:" + std::to_string(port));
  so.max_bytes = 10;
  EXPECT_EQ(scan_spamd("Subject: a message of more than ten bytes\r\n\r\n", {}, so).outcome,
            ScanOutcome::kSkipped);
}

TEST(ExternalScannersConfig, OffByDefaultAndBadValuesAreRefused) {
  auto defaults = config::parse_config("");
  ASSERT_TRUE(defaults) << defaults.error().message;
  EXPECT_FALSE(external_scans_enabled(*defaults));
  EXPECT_EQ(defaults->rspamd.on_failure, "tempfail");
  EXPECT_EQ(defaults->rspamd.spam_actions, std::vector<std::string>{"reject"});
  auto on = config::parse_config(
      "[rspamd]\nurl = \"http://127.0.0.1:11333\"\nspam_actions = [\"reject\", \"add header\"]\n"
      "[spamd]\naddress = \"/run/spamd.sock\"\non_failure = \"accept\"\n");
  ASSERT_TRUE(on) << on.error().message;
  EXPECT_TRUE(external_scans_enabled(*on));
  for (const char* bad :
       {"[rspamd]\nurl = \"127.0.0.1:11333\"\n", "[rspamd]\non_failure = \"ignore\"\n",
        "[rspamd]\nspam_actions = [\"rejekt\"]\n", "[spamd]\naddress = \"localhost\"\n",
        "[spamd]\non_failure = \"\"\n"}) {
    auto r = config::parse_config(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().message.find('\n'), std::string::npos);
  }
}

}  // namespace
// Issue 16 item 5: the scanners' option structs hold no default of their own; what the registry
// says (the spamd time-out is 30 s there) and what a config file sets is what the scan uses.
TEST(ExternalScannersConfig, OptionsComeFromTheRegistryAndTheConfigFile) {
  const auto& defaults = test::registry_defaults();
  EXPECT_EQ(SpamdOptions::from(defaults.spamd).timeout, std::chrono::milliseconds(30000));
  EXPECT_EQ(SpamdOptions::from(defaults.spamd).max_bytes, 512000u);
  EXPECT_EQ(RspamdOptions::from(defaults.rspamd).timeout, std::chrono::milliseconds(10000));
  EXPECT_EQ(RspamdOptions::from(defaults.rspamd).spam_actions, std::vector<std::string>{"reject"});
  EXPECT_FALSE(SpamdOptions::from(defaults.spamd).accept_on_failure);
  auto set = config::parse_config(
      "[rspamd]\ntimeout_ms = 1234\nmax_bytes = 4096\non_failure = \"accept\"\n"
      "[spamd]\nconnect_timeout_ms = 77\ntimeout_ms = 4321\nmax_bytes = 2048\n");
  ASSERT_TRUE(set) << set.error().message;
  const auto r = RspamdOptions::from(set->rspamd);
  EXPECT_EQ(r.timeout, std::chrono::milliseconds(1234));
  EXPECT_EQ(r.max_bytes, 4096u);
  EXPECT_TRUE(r.accept_on_failure);
  const auto s = SpamdOptions::from(set->spamd);
  EXPECT_EQ(s.connect_timeout, std::chrono::milliseconds(77));
  EXPECT_EQ(s.timeout, std::chrono::milliseconds(4321));
  EXPECT_EQ(s.max_bytes, 2048u);
}

}  // namespace pw::scan
