// Proves F-FUZZY's block list and check: the repository validates and stores entries (and bumps
// the config generation), the snapshot's list finds listed SHA-256 hashes and near-duplicate
// fingerprints, and the fuzzy_hash check holds block list hits and outbreaks as spam with reasons
// that name the entry, the similarity and the number of users.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "../registry_defaults.hpp"
#include "../store/temp_dir.hpp"
#include "config/config.hpp"
#include "policy/fuzzy_inspection.hpp"
#include "policy/hash_block_list.hpp"
#include "policy/policy_chain.hpp"
#include "policy/policy_snapshot.hpp"
#include "scan/hash_block_value.hpp"
#include "store/database.hpp"
#include "store/hash_block_repository.hpp"
#include "util/sha256.hpp"

namespace pw::policy {
namespace {

const std::string kBody =
    "Dear customer,\r\n\r\nYour mailbox storage is almost full and incoming messages will be "
    "rejected from tomorrow. To keep receiving mail, verify your account on our portal within "
    "24 hours. Failure to verify will result in permanent suspension of your mailbox and loss of "
    "all stored messages.\r\n\r\nIT Helpdesk\r\n";

std::string message(const std::string& body, const std::string& attachment = "") {
  std::string m =
      "From: alice@example.com\r\nTo: bob@example.org\r\nSubject: notice\r\nMIME-Version: 1.0\r\n";
  if (attachment.empty()) return m + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body;
  return m +
         "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; "
         "charset=utf-8\r\n\r\n" +
         body +
         "\r\n--b1\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; "
         "filename=\"payload.bin\"\r\n\r\n" +
         attachment + "\r\n--b1--\r\n";
}

FuzzyOptions options() {
  FuzzyOptions o;
  o.match_threshold = 0.8;
  o.min_shingles = 10;
  o.max_text_bytes = 1 << 20;
  o.outbreak_window_seconds = 3600;
  o.outbreak_users = 3;
  o.outbreak_score = 5;
  o.text_limits = test::text_limits();
  return o;
}

class FuzzyHashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::Database::open(dir.file("postwarden.db"));
    ASSERT_TRUE(opened) << opened.error().message;
    db.emplace(std::move(*opened));
    locks.emplace(*db);
    ASSERT_TRUE(locks->reload());
  }

  Verdict check(const FuzzyResult& fuzzy, bool block_spam = true) {
    UserSettings settings = UserSettings::from({{"block_spam", block_spam ? "true" : "false"}});
    PolicySnapshot snapshot;
    Transaction t;
    t.stage = Stage::kData;
    t.sender = {1, mail::SenderKind::kUser, "alice@example.com", "example.com"};
    t.settings = &settings;
    t.snapshot = &snapshot;
    t.fuzzy = fuzzy;
    CounterStore counters;
    CheckContext context{counters, *locks};
    for (const auto& c : all_checks())
      if (c->name() == "fuzzy_hash") return c->evaluate(t, context);
    ADD_FAILURE() << "no fuzzy_hash check in the chain";
    return {};
  }

  test::TempDir dir;
  std::optional<store::Database> db;
  std::optional<LockBook> locks;
};

TEST_F(FuzzyHashTest, ValuesAreValidatedWithOneLineErrors) {
  for (auto [kind, value] :
       std::initializer_list<std::pair<std::string, std::string>>{{"sha256", "abc"},
                                                                  {"sha256", std::string(64, 'g')},
                                                                  {"fuzzy", "fz1:short"},
                                                                  {"fuzzy", std::string(64, 'a')},
                                                                  {"md5", std::string(32, 'a')}}) {
    auto canonical = scan::canonical_hash_block(kind, value);
    ASSERT_FALSE(canonical) << kind << " " << value;
    EXPECT_EQ(canonical.error().message.find('\n'), std::string::npos);
  }
  EXPECT_EQ(scan::canonical_hash_block("sha256", std::string(64, 'A')).value(),
            std::string(64, 'a'));  // stored lower-case
  EXPECT_FALSE(scan::validate_hash_note("two\nlines"));
  EXPECT_FALSE(scan::validate_hash_note(std::string(201, 'x')));
  EXPECT_TRUE(scan::validate_hash_note(std::string(200, 'x')));
}

TEST_F(FuzzyHashTest, RepositoryAddsListsRemovesAndBumpsTheGeneration) {
  store::HashBlockRepository repo(*db);
  const auto start = db->config_generation().value();
  auto a = repo.add("sha256", std::string(64, 'a'), "dropper");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_GT(db->config_generation().value(), start);
  auto dup = repo.add("sha256", std::string(64, 'a'), "");
  ASSERT_FALSE(dup);
  EXPECT_NE(dup.error().message.find("entry " + std::to_string(a->id)), std::string::npos);
  auto fp = scan::fuzzy_fingerprint(kBody, 10)->to_string();
  auto b = repo.add("fuzzy", fp, "");
  ASSERT_TRUE(b) << b.error().message;
  auto listed = repo.list();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[1].value, fp);
  const auto before_remove = db->config_generation().value();
  ASSERT_TRUE(repo.remove(a->id));
  EXPECT_GT(db->config_generation().value(), before_remove);
  EXPECT_FALSE(repo.remove(a->id));
  EXPECT_EQ(repo.list()->size(), 1u);
}

TEST_F(FuzzyHashTest, SnapshotListFindsAttachmentHashAndEditedBody) {
  store::HashBlockRepository repo(*db);
  const std::string payload =
      "\x7f"
      "ELF not really, but bytes to hash";
  ASSERT_TRUE(repo.add("sha256", util::sha256_hex(payload), "dropper"));
  ASSERT_TRUE(repo.add("fuzzy", scan::fuzzy_fingerprint(kBody, 10)->to_string(), "phish"));
  auto snapshot = load_policy_snapshot(*db);
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  const HashBlockList& blocks = *(*snapshot)->hash_blocks;
  EXPECT_TRUE(blocks.has_sha256());
  EXPECT_TRUE(blocks.has_fuzzy());

  // The attachment: found by its SHA-256, named by its file name.
  const std::string with_file = message("Please see the file.", payload);
  auto report = scan::scan_attachments(with_file, test::attachment_limits());
  ASSERT_EQ(report.hashes.size(), 1u);  // the body text part is not an attachment
  EXPECT_EQ(report.hashes[0].sha256, util::sha256_hex(payload));
  EXPECT_EQ(report.hashes[0].size, payload.size());
  EXPECT_EQ(util::sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");  // FIPS 180-2
  auto hit = inspect_fuzzy(with_file, &report, blocks, nullptr, "user:a", 1000, options());
  ASSERT_TRUE(hit.block_hit);
  EXPECT_EQ(hit.block_hit->kind, "sha256");
  EXPECT_EQ(hit.block_hit->file, "payload.bin");
  EXPECT_EQ(hit.block_hit->note, "dropper");

  // The body with another greeting and number: a fuzzy hit.
  std::string edited = kBody;
  edited.replace(edited.find("Dear customer"), 13, "Hello Maria");
  edited.replace(edited.find("24 hours"), 2, "12");
  auto fuzzy = inspect_fuzzy(message(edited), nullptr, blocks, nullptr, "user:a", 1000, options());
  ASSERT_TRUE(fuzzy.block_hit);
  EXPECT_EQ(fuzzy.block_hit->kind, "fuzzy");
  EXPECT_GE(fuzzy.block_hit->similarity, 0.8);
  EXPECT_TRUE(fuzzy.fingerprint.starts_with("fz1:"));

  // An unrelated message: nothing.
  auto clean = inspect_fuzzy(
      message("Hi Bob, the quarterly planning meeting moves to Thursday afternoon because the "
              "main conference room is being repainted; bring your project updates and the draft "
              "budget for the next release, lunch will be provided."),
      nullptr, blocks, nullptr, "user:a", 1000, options());
  EXPECT_FALSE(clean.block_hit);
  EXPECT_FALSE(clean.fingerprint.empty());
}

TEST_F(FuzzyHashTest, OutbreakCountsDistinctUsersThroughTheTracker) {
  HashBlockList empty;
  OutbreakTracker tracker(1000);
  const std::string m = message(kBody);
  EXPECT_EQ(inspect_fuzzy(m, nullptr, empty, &tracker, "user:a", 1000, options()).outbreak_users,
            1);
  auto second = inspect_fuzzy(m, nullptr, empty, &tracker, "user:b", 1010, options());
  EXPECT_EQ(second.outbreak_users, 2);
  EXPECT_FALSE(second.outbreak());
  EXPECT_EQ(second.outbreak_score, 0);
  auto third = inspect_fuzzy(m, nullptr, empty, &tracker, "user:c", 1020, options());
  EXPECT_EQ(third.outbreak_users, 3);
  EXPECT_TRUE(third.outbreak());
  EXPECT_EQ(third.outbreak_score, 5);
  // Too short to fingerprint: not tracked at all.
  auto short_text =
      inspect_fuzzy(message("ok, thanks"), nullptr, empty, &tracker, "user:d", 1030, options());
  EXPECT_TRUE(short_text.fingerprint.empty());
  EXPECT_EQ(short_text.outbreak_users, 0);
}

TEST_F(FuzzyHashTest, CheckQuarantinesHitsAndOutbreaksAsSpamWithNamedReasons) {
  FuzzyResult clean;
  clean.fingerprint = "fz1:x";
  clean.outbreak_users = 2;
  clean.outbreak_threshold = 3;
  EXPECT_TRUE(check(clean).passed());
  EXPECT_FALSE(check(clean).spam);

  FuzzyResult listed = clean;
  listed.block_hit = FuzzyBlockHit{7, "sha256", "dropper", "invoice.zip/run.exe", 1.0};
  auto v = check(listed, /*block_spam=*/false);  // the admin's list holds whatever the user says
  EXPECT_EQ(v.action, Action::kQuarantine);
  EXPECT_TRUE(v.spam);
  EXPECT_EQ(v.reply().rfind("550 5.7.1", 0), 0u);
  ASSERT_EQ(v.reasons.size(), 1u);
  EXPECT_EQ(v.reasons[0].rule, "hash_blocklist");
  EXPECT_NE(v.reasons[0].text.find("invoice.zip/run.exe"), std::string::npos);
  EXPECT_NE(v.reasons[0].text.find("entry 7 (dropper)"), std::string::npos);

  // The attachment name is client text: no line breaks or quotes reach the reason.
  listed.block_hit->file = "evil\r\nevent=forged \"x\".exe";
  v = check(listed);
  EXPECT_NE(v.reasons[0].text.find("evil??event=forged ?x?.exe"), std::string::npos)
      << v.reasons[0].text;

  FuzzyResult near = clean;
  near.block_hit = FuzzyBlockHit{9, "fuzzy", "", "", 0.875};
  v = check(near);
  EXPECT_EQ(v.action, Action::kQuarantine);
  EXPECT_NE(v.reasons[0].text.find("entry 9 with similarity 0.88"), std::string::npos)
      << v.reasons[0].text;

  FuzzyResult outbreak = clean;
  outbreak.outbreak_users = 3;
  outbreak.outbreak_window_minutes = 60;
  outbreak.outbreak_score = 5;
  v = check(outbreak);
  EXPECT_EQ(v.action, Action::kQuarantine);
  EXPECT_TRUE(v.spam);
  EXPECT_EQ(v.reasons[0].rule, "outbreak");
  EXPECT_NE(v.reasons[0].text.find("3 distinct users"), std::string::npos);
  EXPECT_NE(v.reasons[0].text.find("60 minutes"), std::string::npos);
  EXPECT_DOUBLE_EQ(v.score, 5);
  // Spam blocking off: the outbreak is marked as spam (counted) but passes.
  v = check(outbreak, /*block_spam=*/false);
  EXPECT_TRUE(v.passed());
  EXPECT_TRUE(v.spam);
}

}  // namespace
}  // namespace pw::policy

namespace pw::policy {
namespace {

// Issue 16: the fuzzy check's MIME walk used the compiled-in limits, not the node's [scan] ones.
TEST(FuzzyScanLimits, TheNodesScanLimitsBoundTheBodyTextWalk) {
  config::Config c = config::default_config();
  const FuzzyOptions roomy = FuzzyOptions::from(c.fuzzy, c.scan);
  EXPECT_EQ(roomy.text_limits.max_decoded_bytes, static_cast<uint64_t>(c.scan.max_decoded_bytes));
  EXPECT_EQ(roomy.text_limits.max_parts, static_cast<std::size_t>(c.scan.max_parts));
  HashBlockList empty;
  EXPECT_FALSE(inspect_fuzzy(message(kBody), nullptr, empty, nullptr, "user:a", 1000, roomy)
                   .fingerprint.empty());

  c.scan.max_decoded_bytes = 64;  // the administrator's lower limit: the body decodes to more
  const FuzzyOptions tight = FuzzyOptions::from(c.fuzzy, c.scan);
  EXPECT_EQ(tight.text_limits.max_decoded_bytes, 64u);
  EXPECT_TRUE(inspect_fuzzy(message(kBody), nullptr, empty, nullptr, "user:a", 1000, tight)
                  .fingerprint.empty());
}

}  // namespace
}  // namespace pw::policy
