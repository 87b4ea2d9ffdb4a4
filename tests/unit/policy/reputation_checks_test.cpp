// The ip_reputation (F-IPREP) and new_domain (F-NRD) checks over hand-built transactions: block
// list weights against the threshold, the local history of an IP, and feed domains (and their
// parents) younger than the maximum age, at MAIL and at DATA.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "../store/temp_dir.hpp"
#include "policy/policy_chain.hpp"
#include "store/database.hpp"

namespace pw::policy {
namespace checks {
std::unique_ptr<Check> make_ip_reputation();
std::unique_ptr<Check> make_new_domain();
}  // namespace checks
namespace {

constexpr int64_t kNow = 1'750'000'000;

net::DnsblZoneResult zone(const char* name, net::DnsblStatus status, double weight = 1.0) {
  net::DnsblZoneResult z;
  z.zone = name;
  z.weight = weight;
  z.status = status;
  if (status == net::DnsblStatus::kListed) {
    z.codes = {"127.0.0.2"};
    z.text = "see https://" + std::string(name);
  }
  return z;
}

class ReputationChecksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::Database::open(dir.file("postwarden.db"));
    ASSERT_TRUE(opened) << opened.error().message;
    db.emplace(std::move(*opened));
    locks.emplace(*db);
    ASSERT_TRUE(locks->reload());
    config = config::default_config().ip_reputation;
    snapshot.new_domain_max_age_s = 86400;
    snapshot.new_domains = {{"newdom.com", kNow - 7200}, {"olddom.com", kNow - 3 * 86400}};
    settings = UserSettings::from({});
  }

  Transaction transaction(Stage stage) {
    Transaction t;
    t.stage = stage;
    t.now = kNow;
    t.client_ip = "192.0.2.7";
    t.sender = {1, mail::SenderKind::kUser, "alice@example.com", "example.com"};
    t.settings = &settings;
    t.snapshot = &snapshot;
    t.mail_from = "alice@example.com";
    t.ip_reputation_config = &config;
    if (stage == Stage::kData) t.header_from = "alice@example.com";
    return t;
  }

  Verdict run(const Check& check, const Transaction& t) {
    CheckContext context{counters, *locks};
    return check.evaluate(t, context);
  }

  test::TempDir dir;
  std::optional<store::Database> db;
  CounterStore counters;
  std::optional<LockBook> locks;
  PolicySnapshot snapshot;
  UserSettings settings;
  config::IpReputationConfig config;
  std::unique_ptr<Check> reputation = checks::make_ip_reputation();
  std::unique_ptr<Check> new_domain = checks::make_new_domain();
};

TEST_F(ReputationChecksTest, OneListingOfWeightOneRefusesWithEveryReason) {
  auto t = transaction(Stage::kMail);
  t.ip_reputation = net::DnsblResult{};
  t.ip_reputation->zones = {zone("bl.test", net::DnsblStatus::kListed),
                            zone("clean.test", net::DnsblStatus::kNotListed),
                            zone("broken.test", net::DnsblStatus::kError)};
  auto v = run(*reputation, t);
  EXPECT_EQ(v.action, Action::kReject);
  EXPECT_EQ(v.reply(),
            "550 5.7.1 Client IP 192.0.2.7 has a bad reputation (bl.test); mail refused");
  ASSERT_EQ(v.reasons.size(), 1u);
  EXPECT_EQ(v.reasons[0].rule, "dnsbl:bl.test");
  EXPECT_EQ(v.reasons[0].text,
            "192.0.2.7 listed in bl.test (answer 127.0.0.2): see https://bl.test");
  EXPECT_DOUBLE_EQ(v.reasons[0].score, 1.0);
  EXPECT_DOUBLE_EQ(v.score, 1.0);
}

TEST_F(ReputationChecksTest, WeightsBelowTheThresholdPass) {
  auto t = transaction(Stage::kMail);
  t.ip_reputation = net::DnsblResult{};
  t.ip_reputation->zones = {zone("a.test", net::DnsblStatus::kListed, 0.5),
                            zone("b.test", net::DnsblStatus::kNotListed, 0.5)};
  EXPECT_TRUE(run(*reputation, t).passed());
  t.ip_reputation->zones[1] = zone("b.test", net::DnsblStatus::kListed, 0.5);
  auto v = run(*reputation, t);
  EXPECT_EQ(v.action, Action::kReject);
  EXPECT_NE(v.reply().find("(a.test, b.test)"), std::string::npos) << v.reply();
}

TEST_F(ReputationChecksTest, ErrorsAndOtherStagesAndNoConfigPass) {
  auto t = transaction(Stage::kMail);
  t.ip_reputation = net::DnsblResult{};
  t.ip_reputation->zones = {zone("broken.test", net::DnsblStatus::kError)};
  EXPECT_TRUE(run(*reputation, t).passed());
  t.ip_reputation->zones = {zone("bl.test", net::DnsblStatus::kListed)};
  t.stage = Stage::kRcpt;
  EXPECT_TRUE(run(*reputation, t).passed());
  t.stage = Stage::kMail;
  t.ip_reputation_config = nullptr;  // the user's check_ip_reputation is off
  EXPECT_TRUE(run(*reputation, t).passed());
}

TEST_F(ReputationChecksTest, ABadLocalHistoryAddsItsWeight) {
  config.history = true;
  config.history_min_messages = 4;
  config.history_window_hours = 1;
  const std::string ip = ip_subject("192.0.2.7");
  auto t = transaction(Stage::kMail);
  counters.add(ip, counter::kMessages, 3, kNow - 60);
  counters.add(ip, counter::kSpam, 3, kNow - 60);
  EXPECT_TRUE(run(*reputation, t).passed()) << "3 messages are fewer than the minimum of 4";
  counters.add(ip, counter::kMessages, 1, kNow - 30);
  auto v = run(*reputation, t);
  ASSERT_EQ(v.action, Action::kReject);
  ASSERT_EQ(v.reasons.size(), 1u);
  EXPECT_EQ(v.reasons[0].rule, "ip_history");
  EXPECT_EQ(v.reasons[0].text,
            "192.0.2.7 sent 3 spam of 4 messages in the last 1 h (ratio 0.75, limit 0.50)");
  EXPECT_NE(v.reply().find("local history"), std::string::npos);
  // Outside the window it is forgotten; another IP has its own history.
  EXPECT_TRUE(run(*reputation,
                  [&] {
                    auto later = t;
                    later.now = kNow + 2 * 3600;
                    return later;
                  }())
                  .passed());
  t.client_ip = "192.0.2.8";
  EXPECT_TRUE(run(*reputation, t).passed());
  config.history = false;
  t.client_ip = "192.0.2.7";
  EXPECT_TRUE(run(*reputation, t).passed());
}

TEST_F(ReputationChecksTest, ANewEnvelopeDomainOrItsSubdomainIsRefusedAtMail) {
  settings.reject_new_domains = true;
  auto t = transaction(Stage::kMail);
  t.mail_from = "alice@NewDom.com";
  auto v = run(*new_domain, t);
  EXPECT_EQ(v.action, Action::kReject);
  EXPECT_EQ(v.reply(),
            "550 5.7.1 Sender domain newdom.com was registered 2025-06-15 13:06:40 UTC (less "
            "than 1 day ago)");
  t.mail_from = "bob@mail.newdom.com";
  v = run(*new_domain, t);
  EXPECT_EQ(v.action, Action::kReject);
  EXPECT_NE(v.reply().find("mail.newdom.com (its domain newdom.com) was registered 2025-06-15"),
            std::string::npos)
      << v.reply();
  for (const char* passing : {"alice@olddom.com", "alice@unknown.com", "", "alice@com"}) {
    t.mail_from = passing;
    EXPECT_TRUE(run(*new_domain, t).passed()) << passing;
  }
}

TEST_F(ReputationChecksTest, ANewHeaderFromDomainIsRefusedAtData) {
  settings.reject_new_domains = true;
  auto t = transaction(Stage::kData);
  t.header_from = "ceo@newdom.com";
  auto v = run(*new_domain, t);
  EXPECT_EQ(v.action, Action::kReject);
  EXPECT_EQ(v.reply().rfind("550 5.7.1 Header From domain newdom.com was registered", 0), 0u);
}

TEST_F(ReputationChecksTest, NewDomainsPassWhenTheSettingIsOffOrTheyAged) {
  auto t = transaction(Stage::kMail);
  t.mail_from = "alice@newdom.com";
  EXPECT_TRUE(run(*new_domain, t).passed());  // reject_new_domains defaults to false
  settings.reject_new_domains = true;
  t.now = kNow + 86400;  // 26 hours after registration
  EXPECT_TRUE(run(*new_domain, t).passed());
  snapshot.new_domain_max_age_s = 2 * 86400;
  auto v = run(*new_domain, t);
  EXPECT_NE(v.reply().find("(less than 2 days ago)"), std::string::npos) << v.reply();
}

}  // namespace
}  // namespace pw::policy
