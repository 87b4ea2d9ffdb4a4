// The policy chain over hand-built transactions: each of the checks of all_checks() at the stages
// it cares about (replies, actions and rules), the order in which the first enforced refusal
// wins, spam passed but reported, and monitor mode turning refusals into logged decisions.
#include "policy/policy_chain.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "../registry_defaults.hpp"
#include "../store/temp_dir.hpp"
#include "obs/metrics.hpp"
#include "scan/spam_classifier.hpp"
#include "store/database.hpp"

namespace pw::policy {
namespace {

constexpr int64_t kNow = 1'750'000'000;
constexpr std::string_view kGtube =
    "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";
const std::string kAlice = "user:alice@example.com";

class PolicyChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::Database::open(dir.file("postwarden.db"));
    ASSERT_TRUE(opened) << opened.error().message;
    db.emplace(std::move(*opened));
    locks.emplace(*db);
    ASSERT_TRUE(locks->reload());
    DomainInfo example{"example.com", "postmaster@example.com", {"example.net"}, std::nullopt, ""};
    snapshot.domains.emplace("example.com", example);
    snapshot.alias_to_domain["example.net"] = "example.com";
    use({});
  }

  void use(const std::map<std::string, std::string>& stored) {
    settings = UserSettings::from(stored);
  }

  // An authenticated user of example.com at `stage`.
  Transaction transaction(Stage stage) {
    Transaction t;
    t.stage = stage;
    t.now = kNow;
    t.client_ip = "192.0.2.7";
    t.sender = {1, mail::SenderKind::kUser, "alice@example.com", "example.com"};
    t.authenticated = true;
    t.settings = &settings;
    t.snapshot = &snapshot;
    t.domain = snapshot.domain("example.com");
    t.server_max_message_size = 10'000'000;
    t.mail_from = "alice@example.com";
    t.mail_from_resolves = true;
    if (stage == Stage::kRcpt || stage == Stage::kData) t.recipients = {"bob@example.org"};
    if (stage == Stage::kRcpt) t.rcpt = "carol@example.org";
    if (stage == Stage::kData) {
      t.message = message;
      t.size = message.size();
      t.header_from = "alice@example.com";
      t.header_from_parsed = true;
      t.header_from_resolves = true;
    }
    return t;
  }

  // An IP user (a smarthost) of example.com at MAIL.
  Transaction ip_transaction(std::string mail_from) {
    Transaction t = transaction(Stage::kMail);
    t.sender = {2, mail::SenderKind::kIp, "192.0.2.0/24", "example.com"};
    t.authenticated = false;
    t.mail_from = std::move(mail_from);
    return t;
  }

  ChainResult run(const Transaction& t) {
    CheckContext context{counters, *locks};
    if (t.stage != Stage::kData || t.spam) return chain.run(t, context);
    // As the session does at end of DATA: the spam classifier (rules alone here) fills t.spam.
    Transaction scanned = t;
    scanned.spam = scan::SpamClassifier(std::nullopt, test::text_limits()).classify(t.message, {});
    return chain.run(scanned, context);
  }

  // The verdict must refuse with `action`, from `check`, with a reply that starts with `reply`.
  static void expect_refused(const ChainResult& r, Action action, std::string_view check,
                             std::string_view reply, std::string_view rule = "") {
    EXPECT_EQ(r.verdict.action, action) << to_string(r.verdict.action) << " " << r.verdict.reply();
    EXPECT_EQ(r.verdict.check, check);
    EXPECT_EQ(r.verdict.reply().rfind(reply, 0), 0u) << r.verdict.reply();
    EXPECT_EQ(r.verdict.reply().find_first_of("\r\n"), std::string::npos) << r.verdict.reply();
    if (!rule.empty()) {
      ASSERT_FALSE(r.verdict.reasons.empty());
      EXPECT_EQ(r.verdict.reasons.front().rule, rule) << r.verdict.reasons_text();
    }
    ASSERT_FALSE(r.decisions.empty());
    EXPECT_EQ(r.decisions.back().check, check);
    EXPECT_FALSE(r.verdict.monitor);
  }

  static void expect_passed(const ChainResult& r) {
    EXPECT_TRUE(r.verdict.passed()) << r.verdict.check << ": " << r.verdict.reply();
    EXPECT_TRUE(r.decisions.empty()) << r.decisions.front().check;
  }

  test::TempDir dir;
  std::optional<store::Database> db;
  CounterStore counters;
  std::optional<LockBook> locks;
  PolicySnapshot snapshot;
  UserSettings settings;
  PolicyChain chain;
  std::string message =
      "From: alice@example.com\r\nTo: bob@example.org\r\nSubject: hi\r\n\r\nHello.\r\n";
};

TEST_F(PolicyChainTest, RunsTheChecksInTheirDocumentedOrder) {
  // The eight policy checks in this order; checks added later (scanners) may sit between them.
  auto names = chain.names();
  std::vector<std::string_view> expected = {"locked",           "reauth",       "sender_address",
                                            "connection_limit", "message_rate", "recipient_limit",
                                            "message_size",     "spam"};
  size_t next = 0;
  for (auto name : names)
    if (next < expected.size() && name == expected[next]) ++next;
  EXPECT_EQ(next, expected.size()) << "missing or out of order: " << expected[next];
  EXPECT_EQ(names.front(), "locked");
}

TEST_F(PolicyChainTest, DefaultSettingsPassPlainMailAtEveryStage) {
  for (Stage stage : {Stage::kConnect, Stage::kMail, Stage::kRcpt, Stage::kData})
    expect_passed(run(transaction(stage)));
}

TEST_F(PolicyChainTest, ALockedUserIsRefusedAtMailWithTheReason) {
  ASSERT_TRUE(
      locks->lock_automatically(kAlice, "6 spam messages in 10 minutes", kNow - 60, 3600, 3));
  auto r = run(transaction(Stage::kMail));
  expect_refused(r, Action::kReject, "locked", "550 5.7.1 ", "user_locked");
  EXPECT_NE(r.verdict.reply().find("alice@example.com"), std::string::npos) << r.verdict.reply();
  EXPECT_NE(r.verdict.reply().find("6 spam messages in 10 minutes"), std::string::npos);
  EXPECT_NE(r.verdict.reply().find("postmaster@example.com"), std::string::npos);
  EXPECT_NE(r.verdict.reply().find("until 2025-06-15 16:05:40 UTC"), std::string::npos)
      << r.verdict.reply();
  // Checked at MAIL (the user) and DATA (identities), not at RCPT.
  expect_passed(run(transaction(Stage::kRcpt)));
  // Once the lock is due, it lifts.
  Transaction later = transaction(Stage::kMail);
  later.now = kNow + 3600;
  expect_passed(run(later));
}

TEST_F(PolicyChainTest, AnAdministratorsLockHasNoEnd) {
  ASSERT_TRUE(admin_lock(*db, kAlice, "abuse report", kNow - 10));
  ASSERT_TRUE(locks->reload());
  auto r = run(transaction(Stage::kMail));
  expect_refused(r, Action::kReject, "locked", "550 5.7.1 ", "user_locked");
  EXPECT_NE(r.verdict.reply().find("until an administrator unlocks it"), std::string::npos)
      << r.verdict.reply();
  snapshot.domains["example.com"].admin_contact = "";
  r = run(transaction(Stage::kMail));
  EXPECT_NE(r.verdict.reply().find("contact your administrator"), std::string::npos)
      << r.verdict.reply();
}

TEST_F(PolicyChainTest, ALockedIdentityIsRefusedAtDataOnly) {
  ASSERT_TRUE(locks->lock_automatically(identity_subject("alice@example.com", "shop"), "spam",
                                        kNow - 60, 3600, 3));
  Transaction t = transaction(Stage::kData);
  t.identity = "shop";
  auto r = run(t);
  expect_refused(r, Action::kReject, "locked", "550 5.7.1 ", "identity_locked");
  EXPECT_NE(r.verdict.reply().find("identity shop"), std::string::npos) << r.verdict.reply();
  t.identity = "other";
  expect_passed(run(t));
}

TEST_F(PolicyChainTest, AnIpUserSendsOnlyForItsOwnDomains) {
  auto r = run(ip_transaction("someone@foreign.example"));
  expect_refused(r, Action::kReject, "reauth", "550 5.7.1 ", "foreign_sender_domain");
  EXPECT_NE(r.verdict.reply().find("foreign.example"), std::string::npos) << r.verdict.reply();
  for (const char* own : {"a@example.com", "a@EXAMPLE.COM", "a@mail.example.com", "a@example.net",
                          "a@mx.example.net", ""})
    expect_passed(run(ip_transaction(own)));
  for (const char* foreign :
       {"a@badexample.com", "a@example.com.evil.example", "a@net", "no-domain"})
    EXPECT_EQ(run(ip_transaction(foreign)).verdict.check, "reauth") << foreign;

  use({{"reauth_permitted", "on"}});
  expect_passed(run(ip_transaction("someone@foreign.example")));

  // Authenticated users are not IP users: this check leaves them alone.
  use({});
  Transaction t = transaction(Stage::kMail);
  t.mail_from = "someone@foreign.example";
  expect_passed(run(t));
}

TEST_F(PolicyChainTest, RequireFromDomainAppliesToTheEnvelopeAndTheHeader) {
  use({{"require_from_domain", "Example.com"}});
  Transaction t = transaction(Stage::kMail);
  for (const char* ok : {"alice@example.com", "alice@Sub.Example.COM", ""}) {
    t.mail_from = ok;
    expect_passed(run(t));
  }
  for (const char* bad : {"alice@example.org", "alice@notexample.com", "alice@example.net"}) {
    t.mail_from = bad;
    auto r = run(t);
    expect_refused(r, Action::kReject, "sender_address", "550 5.7.1 ", "require_from_domain");
    EXPECT_NE(r.verdict.reply().find(bad), std::string::npos) << r.verdict.reply();
  }

  Transaction d = transaction(Stage::kData);
  expect_passed(run(d));
  d.header_from = "ceo@bank.example";
  auto r = run(d);
  expect_refused(r, Action::kReject, "sender_address", "550 5.7.1 Header From",
                 "require_from_domain");
  d.header_from = "";
  expect_refused(run(d), Action::kReject, "sender_address", "550 5.7.1 ", "header_from_missing");
  // RCPT is not this check's stage.
  Transaction rcpt = transaction(Stage::kRcpt);
  rcpt.mail_from = "alice@example.org";
  expect_passed(run(rcpt));
}

TEST_F(PolicyChainTest, ValidSenderRequiredNeedsADomainThatResolves) {
  use({{"valid_sender_required", "on"}});
  Transaction t = transaction(Stage::kMail);
  t.mail_from_resolves = false;
  auto r = run(t);
  expect_refused(r, Action::kReject, "sender_address", "550 5.1.8 ", "sender_domain_unresolvable");
  EXPECT_NE(r.verdict.reply().find("example.com"), std::string::npos);
  t.mail_from_resolves = std::nullopt;
  expect_refused(run(t), Action::kTempfail, "sender_address", "451 4.4.3 ",
                 "sender_domain_unverified");
  t.mail_from_resolves = true;
  expect_passed(run(t));
  t.mail_from = "";
  expect_refused(run(t), Action::kReject, "sender_address", "550 5.7.1 ", "null_sender");

  Transaction d = transaction(Stage::kData);
  d.header_from_resolves = false;
  r = run(d);
  expect_refused(r, Action::kReject, "sender_address", "550 5.1.8 Header From",
                 "sender_domain_unresolvable");
  d.header_from_resolves = std::nullopt;
  expect_refused(run(d), Action::kTempfail, "sender_address", "451 4.4.3 ");
  d.header_from_resolves = true;
  expect_passed(run(d));
}

TEST_F(PolicyChainTest, ConnectionLimitsRefuseAtMailWithATemporaryError) {
  use({{"connection_limits", "on"}, {"limit_per_minute", "3"}});
  counters.add(kAlice, counter::kConnections, 2, kNow);
  expect_passed(run(transaction(Stage::kMail)));
  counters.add(kAlice, counter::kConnections, 1, kNow);
  auto r = run(transaction(Stage::kMail));
  expect_refused(r, Action::kTempfail, "connection_limit", "450 4.7.1 ", "limit_per_minute");
  EXPECT_NE(r.verdict.reply().find("3 of 3"), std::string::npos) << r.verdict.reply();

  // A session that already counted is not refused for its next MAIL.
  Transaction counted = transaction(Stage::kMail);
  counted.session_counted = true;
  expect_passed(run(counted));
  // Only MAIL is checked.
  expect_passed(run(transaction(Stage::kRcpt)));
  // The next minute frees the limit per minute.
  Transaction next_minute = transaction(Stage::kMail);
  next_minute.now = kNow - kNow % 60 + 60;
  expect_passed(run(next_minute));
  // Switched off, no limit applies.
  use({{"connection_limits", "off"}, {"limit_per_minute", "3"}});
  expect_passed(run(transaction(Stage::kMail)));
}

TEST_F(PolicyChainTest, ConnectionLimitsPerHourAndDay) {
  use({{"connection_limits", "on"},
       {"limit_per_minute", "0"},
       {"limit_per_hour", "5"},
       {"limit_per_day", "8"}});
  for (int i = 0; i < 5; ++i) counters.add(kAlice, counter::kConnections, 1, kNow - i * 600);
  expect_refused(run(transaction(Stage::kMail)), Action::kTempfail, "connection_limit",
                 "450 4.7.1 ", "limit_per_hour");
  counters.add(kAlice, counter::kConnections, 3, kNow - 5 * 3600);
  Transaction later = transaction(Stage::kMail);
  later.now = kNow + 3600;  // the hour has passed, the day has not
  expect_refused(run(later), Action::kTempfail, "connection_limit", "450 4.7.1 ", "limit_per_day");
}

TEST_F(PolicyChainTest, MessagesPerHour) {
  use({{"messages_per_hour", "2"}});
  counters.add(kAlice, counter::kMessages, 1, kNow - 3000);
  expect_passed(run(transaction(Stage::kMail)));
  counters.add(kAlice, counter::kMessages, 1, kNow - 10);
  auto r = run(transaction(Stage::kMail));
  expect_refused(r, Action::kTempfail, "message_rate", "450 4.7.1 ", "messages_per_hour");
  EXPECT_NE(r.verdict.reply().find("2 messages"), std::string::npos) << r.verdict.reply();
  // The verdict carries its parts and what it measured; nothing has to parse the reply.
  EXPECT_EQ(r.verdict.response.code, 450);
  EXPECT_EQ(r.verdict.response.enhanced, "4.7.1");
  ASSERT_EQ(r.verdict.reasons.size(), 1u);
  ASSERT_TRUE(r.verdict.reasons[0].measured);
  EXPECT_EQ(r.verdict.reasons[0].measured->counter, 2);
  EXPECT_EQ(r.verdict.reasons[0].measured->limit, 2);
  Transaction later = transaction(Stage::kMail);
  later.now = kNow + 700;  // the older message has left the hour
  expect_passed(run(later));
  use({{"messages_per_hour", "0"}});
  expect_passed(run(transaction(Stage::kMail)));
}

TEST_F(PolicyChainTest, MaxRecipientsPerDayCountsTheTransactionsRecipients) {
  use({{"max_recipients_per_day", "3"}});
  counters.add(kAlice, counter::kRecipients, 1, kNow - 20 * 3600);
  Transaction t = transaction(Stage::kRcpt);
  t.recipients = {"a@example.org"};  // 1 counted + 1 accepted: a third is allowed
  expect_passed(run(t));
  t.recipients = {"a@example.org", "b@example.org"};
  auto r = run(t);
  expect_refused(r, Action::kTempfail, "recipient_limit", "452 4.5.3 ", "max_recipients_per_day");
  EXPECT_NE(r.verdict.reply().find("3 of 3"), std::string::npos) << r.verdict.reply();
  ASSERT_TRUE(r.verdict.reasons.at(0).measured);
  EXPECT_EQ(r.verdict.reasons[0].measured->counter, 3);
  EXPECT_EQ(r.verdict.reasons[0].measured->limit, 3);
  // MAIL is not refused for it (the limit is per recipient).
  expect_passed(run(transaction(Stage::kMail)));
  // A day after the counted recipient, the two accepted ones still leave room for a third.
  t.now = kNow + 4 * 3600 + 1;
  expect_passed(run(t));
}

TEST_F(PolicyChainTest, InvalidRecipientLimitRestrictsMailAndRcpt) {
  use({{"invalid_recipient_limit", "2"}});
  counters.add(kAlice, counter::kInvalidRecipients, 1, kNow - 100);
  expect_passed(run(transaction(Stage::kMail)));
  counters.add(kAlice, counter::kInvalidRecipients, 1, kNow - 50);
  for (Stage stage : {Stage::kMail, Stage::kRcpt}) {
    auto r = run(transaction(stage));
    expect_refused(r, Action::kReject, "recipient_limit", "550 5.7.1 ", "invalid_recipient_limit");
    EXPECT_NE(r.verdict.reply().find("postmaster@example.com"), std::string::npos);
  }
  expect_passed(run(transaction(Stage::kData)));
}

TEST_F(PolicyChainTest, MaxMessageSizeAtMailAndData) {
  use({{"max_message_size", "1000"}});
  Transaction mail = transaction(Stage::kMail);
  expect_passed(run(mail));  // no SIZE declared
  mail.declared_size = 1000;
  expect_passed(run(mail));
  mail.declared_size = 1001;
  auto r = run(mail);
  expect_refused(r, Action::kReject, "message_size", "552 5.3.4 ", "max_message_size");
  EXPECT_NE(r.verdict.reply().find("1001"), std::string::npos) << r.verdict.reply();
  Transaction data = transaction(Stage::kData);
  data.size = 1000;
  expect_passed(run(data));
  data.size = 5000;
  expect_refused(run(data), Action::kReject, "message_size", "552 5.3.4 ");
  use({});
  expect_passed(run(data));
}

TEST_F(PolicyChainTest, GtubeIsQuarantinedAsSpam) {
  message += std::string(kGtube) + "\r\n";
  auto r = run(transaction(Stage::kData));
  expect_refused(r, Action::kQuarantine, "spam", "550 5.7.1 ", "GTUBE");
  EXPECT_TRUE(r.verdict.spam);
  EXPECT_GT(r.verdict.score, 0);
  ASSERT_EQ(r.decisions.size(), 1u);
  // Only the message content counts: the string at MAIL is nothing.
  Transaction mail = transaction(Stage::kMail);
  mail.message = message;
  expect_passed(run(mail));
}

// F-SPAM: unsure mail is delivered: a passed decision with its score, never spam, never held,
// whatever block_spam says.
TEST_F(PolicyChainTest, UnsureMailPassesWithALoggedDecisionAndIsNotSpam) {
  Transaction t = transaction(Stage::kData);
  scan::SpamReport report;
  report.score = 80;
  report.threshold = 99;
  report.unsure_threshold = 50;
  report.verdict = scan::SpamVerdict::kUnsure;
  report.unsure = true;
  report.reasons.push_back({"BAYES", "fisher model: spam probability 0.800", 80});
  t.spam = report;
  auto r = run(t);
  EXPECT_TRUE(r.verdict.passed());
  EXPECT_FALSE(r.verdict.spam);
  EXPECT_TRUE(r.verdict.unsure);
  ASSERT_EQ(r.decisions.size(), 1u);
  EXPECT_EQ(r.decisions[0].check, "spam");
  EXPECT_TRUE(r.decisions[0].unsure);
  EXPECT_FALSE(r.decisions[0].spam);
  EXPECT_TRUE(r.decisions[0].reply().empty());
  EXPECT_EQ(r.decisions[0].reasons.back().rule, "spam_unsure");
}

TEST_F(PolicyChainTest, SpamThatIsNotBlockedPassesButIsReported) {
  use({{"block_spam", "off"}});
  message += std::string(kGtube) + "\r\n";
  auto r = run(transaction(Stage::kData));
  EXPECT_TRUE(r.verdict.passed());
  EXPECT_TRUE(r.verdict.spam);
  ASSERT_FALSE(r.verdict.reasons.empty());
  EXPECT_EQ(r.verdict.reasons.front().rule, "GTUBE");
  ASSERT_EQ(r.decisions.size(), 1u);
  EXPECT_EQ(r.decisions[0].check, "spam");
  EXPECT_TRUE(r.decisions[0].spam);
  EXPECT_TRUE(r.decisions[0].passed());
}

TEST_F(PolicyChainTest, MonitorModeRecordsWhatWouldBlockAndPasses) {
  use({{"policy_mode", "monitor"},
       {"max_message_size", "10"},
       {"require_from_domain", "example.org"}});
  Transaction data = transaction(Stage::kData);
  auto r = run(data);
  EXPECT_TRUE(r.verdict.passed()) << r.verdict.check;
  EXPECT_FALSE(r.verdict.monitor);
  ASSERT_EQ(r.decisions.size(), 2u);  // every would-be refusal, in chain order
  EXPECT_EQ(r.decisions[0].check, "sender_address");
  EXPECT_EQ(r.decisions[0].action, Action::kReject);
  EXPECT_TRUE(r.decisions[0].monitor);
  EXPECT_EQ(r.decisions[1].check, "message_size");
  EXPECT_TRUE(r.decisions[1].monitor);
  EXPECT_EQ(r.decisions[1].reply().rfind("552 5.3.4 ", 0), 0u);

  // The same settings enforced: the first refusal decides, the rest is not run.
  use({{"max_message_size", "10"}, {"require_from_domain", "example.org"}});
  r = run(data);
  expect_refused(r, Action::kReject, "sender_address", "550 5.7.1 ", "require_from_domain");
  EXPECT_EQ(r.decisions.size(), 1u);
}

TEST_F(PolicyChainTest, MonitorModeQuarantinesNothing) {
  use({{"policy_mode", "monitor"}});
  message += std::string(kGtube) + "\r\n";
  auto r = run(transaction(Stage::kData));
  EXPECT_TRUE(r.verdict.passed());
  ASSERT_EQ(r.decisions.size(), 1u);
  EXPECT_EQ(r.decisions[0].action, Action::kQuarantine);
  EXPECT_TRUE(r.decisions[0].monitor);
  EXPECT_TRUE(r.decisions[0].spam);
}

// Regression: monitored spam is still marked on the final verdict, so the session counts it
// (monitor mode counts what it would block; the service does not lock on it).
TEST_F(PolicyChainTest, MonitoredSpamIsStillMarkedAsSpam) {
  use({{"policy_mode", "monitor"}});
  message += std::string(kGtube) + "\r\n";
  auto r = run(transaction(Stage::kData));
  EXPECT_TRUE(r.verdict.passed());
  EXPECT_TRUE(r.verdict.spam);
}

TEST_F(PolicyChainTest, MonitorModeDoesNotSoftenALock) {
  use({{"policy_mode", "monitor"}});
  ASSERT_TRUE(locks->lock_automatically(kAlice, "test", kNow - 60, 3600, 3));
  auto r = run(transaction(Stage::kMail));
  EXPECT_EQ(r.verdict.action, Action::kReject);
  EXPECT_EQ(r.verdict.check, "locked");
  EXPECT_FALSE(r.verdict.monitor);
}

TEST_F(PolicyChainTest, TheFirstEnforcedRefusalWins) {
  // A locked user who also breaks the sender rule, a connection limit and the size: "locked".
  use({{"require_from_domain", "example.org"},
       {"connection_limits", "on"},
       {"limit_per_minute", "1"},
       {"max_message_size", "10"}});
  counters.add(kAlice, counter::kConnections, 5, kNow);
  ASSERT_TRUE(locks->lock_automatically(kAlice, "spam", kNow, 3600, 3));
  Transaction t = transaction(Stage::kMail);
  t.declared_size = 100;
  auto r = run(t);
  expect_refused(r, Action::kReject, "locked", "550 5.7.1 ");
  EXPECT_EQ(r.decisions.size(), 1u);
  // Unlocked: the sender rule comes before the limits.
  ASSERT_TRUE(admin_unlock(*db, kAlice, false));
  ASSERT_TRUE(locks->reload());
  r = run(t);
  expect_refused(r, Action::kReject, "sender_address", "550 5.7.1 ");
  // With a good sender: the connection limit (a tempfail) comes before the size.
  t.mail_from = "alice@example.org";
  r = run(t);
  expect_refused(r, Action::kTempfail, "connection_limit", "450 4.7.1 ");
  t.session_counted = true;
  expect_refused(run(t), Action::kReject, "message_size", "552 5.3.4 ");
}

// Issue 16 item 2: obs declares the checks whose verdicts /metrics counts; it must name every
// check of the chain, in the chain's order, so that no check's verdicts go uncounted.
TEST_F(PolicyChainTest, ObsDeclaresEveryCheckOfTheChain) {
  auto names = chain.names();
  ASSERT_EQ(names.size(), obs::kCheckNames.size());
  for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(names[i], obs::kCheckNames[i]);
}

TEST_F(PolicyChainTest, EachVerdictMovesItsCheckCounterByOne) {
  const size_t size = *obs::check_index("message_size");
  const size_t sender = *obs::check_index("sender_address");
  const size_t spam = *obs::check_index("spam");
  auto value = [](size_t check, obs::CheckVerdict v) {
    return obs::metrics().check_value(check, v);
  };
  const uint64_t rejected = value(size, obs::CheckVerdict::kReject);
  const uint64_t would_block = value(sender, obs::CheckVerdict::kWouldBlock);
  const uint64_t sender_rejected = value(sender, obs::CheckVerdict::kReject);
  const uint64_t quarantined = value(spam, obs::CheckVerdict::kQuarantine);
  const uint64_t spam_not_blocked = value(spam, obs::CheckVerdict::kSpamNotBlocked);

  use({{"max_message_size", "10"}});
  run(transaction(Stage::kData));
  EXPECT_EQ(value(size, obs::CheckVerdict::kReject), rejected + 1);

  use({{"policy_mode", "monitor"}, {"require_from_domain", "example.org"}});
  run(transaction(Stage::kData));
  EXPECT_EQ(value(sender, obs::CheckVerdict::kWouldBlock), would_block + 1);
  EXPECT_EQ(value(sender, obs::CheckVerdict::kReject), sender_rejected);  // monitored, not enforced

  use({});
  message += std::string(kGtube) + "\r\n";
  run(transaction(Stage::kData));
  EXPECT_EQ(value(spam, obs::CheckVerdict::kQuarantine), quarantined + 1);
  use({{"block_spam", "off"}});
  run(transaction(Stage::kData));
  EXPECT_EQ(value(spam, obs::CheckVerdict::kSpamNotBlocked), spam_not_blocked + 1);

  // A pass is not counted: plain mail at every stage moves no counter of the check.
  use({});
  message = "From: alice@example.com\r\nTo: bob@example.org\r\nSubject: hi\r\n\r\nHello.\r\n";
  const uint64_t before = value(size, obs::CheckVerdict::kReject);
  for (Stage stage : {Stage::kConnect, Stage::kMail, Stage::kRcpt, Stage::kData})
    run(transaction(stage));
  EXPECT_EQ(value(size, obs::CheckVerdict::kReject), before);
}

}  // namespace
}  // namespace pw::policy
