// The external_scanners check (F-SPAM rspamd/spamd) over hand-built scanner answers: spam from
// either scanner quarantines (block_spam on) or only marks (off), with one reason per scanner;
// a scanner that failed gives 451 naming it unless its on_failure is "accept"; skipped (too big)
// and clean answers pass; no scanner configured, no verdict.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../store/temp_dir.hpp"
#include "policy/policy_chain.hpp"
#include "store/database.hpp"

namespace pw::policy {
namespace checks {
std::unique_ptr<Check> make_external_scanners();
}
namespace {

class ExternalScannersCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::Database::open(dir.file("postwarden.db"));
    ASSERT_TRUE(opened) << opened.error().message;
    db.emplace(std::move(*opened));
    locks.emplace(*db);
    ASSERT_TRUE(locks->reload());
    settings = UserSettings::from({});
    std::vector<std::unique_ptr<Check>> only;
    only.push_back(checks::make_external_scanners());
    chain.emplace(std::move(only));
  }
  Transaction data(std::optional<scan::ExternalScans> external) {
    Transaction t;
    t.stage = Stage::kData;
    t.sender = {1, mail::SenderKind::kUser, "alice@example.com", "example.com"};
    t.authenticated = true;
    t.settings = &settings;
    t.external = std::move(external);
    return t;
  }
  ChainResult run(const Transaction& t) {
    CheckContext context{counters, *locks};
    return chain->run(t, context);
  }
  static scan::ScannerResult answer(std::string scanner, bool spam, double score) {
    scan::ScannerResult r;
    r.scanner = std::move(scanner);
    r.outcome = scan::ScanOutcome::kScanned;
    r.spam = spam;
    r.score = score;
    r.required = 15;
    r.action = spam ? "reject" : "no action";
    r.symbols = {{"GTUBE", 0}};
    return r;
  }
  static scan::ScannerResult failure(std::string scanner, bool accept) {
    scan::ScannerResult r;
    r.scanner = std::move(scanner);
    r.outcome = scan::ScanOutcome::kFailed;
    r.error = "cannot connect to 127.0.0.1:11333: Connection refused";
    r.accept_on_failure = accept;
    return r;
  }

  test::TempDir dir;
  std::optional<store::Database> db;
  CounterStore counters;
  std::optional<LockBook> locks;
  UserSettings settings;
  std::optional<PolicyChain> chain;
};

TEST_F(ExternalScannersCheckTest, SpamFromEitherScannerIsQuarantinedWithOneReasonEach) {
  scan::ExternalScans both{answer("rspamd", true, 15), answer("spamd", true, 1000)};
  auto r = run(data(both));
  EXPECT_EQ(r.verdict.action, Action::kQuarantine);
  EXPECT_EQ(r.verdict.check, "external_scanners");
  EXPECT_TRUE(r.verdict.spam);
  EXPECT_EQ(r.verdict.reply(), "550 5.7.1 Message blocked as spam and held in quarantine");
  ASSERT_EQ(r.verdict.reasons.size(), 2u);
  EXPECT_EQ(r.verdict.reasons[0].rule, "rspamd");
  EXPECT_EQ(r.verdict.reasons[0].text, "score 15.00/15.00, action reject, symbols GTUBE(0.00)");
  EXPECT_EQ(r.verdict.reasons[1].rule, "spamd");
  EXPECT_DOUBLE_EQ(r.verdict.score, 1000);

  scan::ExternalScans one{answer("rspamd", false, 1), answer("spamd", true, 9)};
  auto s = run(data(one));
  EXPECT_EQ(s.verdict.action, Action::kQuarantine);
  ASSERT_EQ(s.verdict.reasons.size(), 1u);
  EXPECT_EQ(s.verdict.reasons[0].rule, "spamd");
}

TEST_F(ExternalScannersCheckTest, WithoutBlockSpamSpamIsOnlyMarked) {
  settings = UserSettings::from({{"block_spam", "false"}});
  auto r = run(data(scan::ExternalScans{answer("rspamd", true, 15), std::nullopt}));
  EXPECT_TRUE(r.verdict.passed());
  EXPECT_TRUE(r.verdict.spam);
  ASSERT_EQ(r.decisions.size(), 1u);
  EXPECT_EQ(r.decisions[0].check, "external_scanners");
}

TEST_F(ExternalScannersCheckTest, AFailedScannerTempfailsUnlessItAccepts) {
  auto r = run(data(scan::ExternalScans{failure("rspamd", false), answer("spamd", false, 0)}));
  EXPECT_EQ(r.verdict.action, Action::kTempfail);
  EXPECT_EQ(r.verdict.reply(),
            "451 4.3.0 Message could not be checked for spam (rspamd unavailable); try again "
            "later");
  ASSERT_FALSE(r.verdict.reasons.empty());
  EXPECT_EQ(r.verdict.reasons[0].rule, "rspamd_unavailable");
  EXPECT_NE(r.verdict.reasons[0].text.find("Connection refused"), std::string::npos);

  auto accepted = run(data(scan::ExternalScans{failure("rspamd", true), std::nullopt}));
  EXPECT_TRUE(accepted.verdict.passed());
  EXPECT_FALSE(accepted.verdict.spam);
  // Accepting rspamd's failure does not hide spamd's spam answer.
  auto spam = run(data(scan::ExternalScans{failure("rspamd", true), answer("spamd", true, 9)}));
  EXPECT_EQ(spam.verdict.action, Action::kQuarantine);
  // A definite spam answer outweighs the other scanner's failure.
  auto both = run(data(scan::ExternalScans{failure("rspamd", false), answer("spamd", true, 9)}));
  EXPECT_EQ(both.verdict.action, Action::kQuarantine);
  EXPECT_EQ(both.verdict.reasons.at(0).rule, "spamd");
}

TEST_F(ExternalScannersCheckTest, CleanSkippedAndUnconfiguredPass) {
  scan::ScannerResult skipped;
  skipped.scanner = "spamd";
  skipped.outcome = scan::ScanOutcome::kSkipped;
  skipped.error = "message of 600000 bytes is larger than max_bytes 512000";
  for (const auto& t : {data(scan::ExternalScans{answer("rspamd", false, 2), skipped}),
                        data(std::nullopt), data(scan::ExternalScans{})}) {
    auto r = run(t);
    EXPECT_TRUE(r.verdict.passed());
    EXPECT_FALSE(r.verdict.spam);
    EXPECT_TRUE(r.decisions.empty());
  }
}

}  // namespace
}  // namespace pw::policy
