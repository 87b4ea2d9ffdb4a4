// Proves the outgoing quarantine: a held message is durable (file before row, mode 0600, the
// envelope rebuilt exactly), lists filter as documented, release spools the original envelope
// under a new queue id exactly once, deletion removes the file, and CLI commands are answered.
#include "quarantine/quarantine_store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "../store/temp_dir.hpp"
#include "store/gateway_commands.hpp"
#include "store/statement.hpp"

namespace pw::quarantine {
namespace {

constexpr std::string_view kMessage =
    "From: alice@example.com\r\nTo: bob@example.net\r\nSubject: cheap pills\r\n"
    "Message-ID: <m1@example.com>\r\n\r\nbuy now\r\n";

class QuarantineStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::Database::open(dir.file("postwarden.db"));
    ASSERT_TRUE(opened) << opened.error().message;
    db.emplace(std::move(*opened));
    quarantine.emplace(*db, dir.path());
    auto opened_spool = queue::Spool::open(dir.path() / "spool");
    ASSERT_TRUE(opened_spool) << opened_spool.error().message;
    spool.emplace(std::move(*opened_spool));
  }

  HoldRequest request(std::string id, std::string sender = "alice@example.com",
                      std::string domain = "example.com") {
    HoldRequest r;
    r.envelope.id = std::move(id);
    r.envelope.received_at = 1700000000;
    r.envelope.client_ip = "192.0.2.7";
    r.envelope.helo = "client.example";
    r.envelope.tls = true;
    r.envelope.auth_user = sender;
    r.envelope.sender_kind = mail::Origin::kUser;
    r.envelope.sender = sender;
    r.envelope.domain = std::move(domain);
    r.envelope.mail_from = sender;
    r.envelope.rcpt_to = {"bob@example.net", "carol@example.org"};
    r.envelope.size = kMessage.size();
    r.envelope.body = mail::BodyType::k8BitMime;
    r.envelope.smtputf8 = true;
    r.identity = sender;
    r.verdict.action = policy::Action::kQuarantine;
    r.verdict.check = "spam";
    r.verdict.reasons = {{"PILLS", "pharmacy words", 4.5}, {"URGENT", "", 1}};
    r.verdict.score = 5.5;
    r.response = "accepted";
    r.message = kMessage;
    return r;
  }

  std::vector<std::string> spooled_ids() {
    std::vector<std::string> ids;
    for (const auto& entry : std::filesystem::directory_iterator(spool->incoming_dir()))
      ids.push_back(entry.path().filename().string());
    return ids;
  }

  std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

  test::TempDir dir;
  std::optional<store::Database> db;
  std::optional<QuarantineStore> quarantine;
  std::optional<queue::Spool> spool;
};

TEST_F(QuarantineStoreTest, HoldKeepsTheMessageDurablyWithItsEnvelope) {
  auto held = request("Q1");
  ASSERT_TRUE(quarantine->hold(held)) << quarantine->hold(held).error().message;
  auto path = dir.path() / "quarantine" / "Q1.eml";
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(read_file(path), held.envelope.to_json_line() + "\n" + std::string(kMessage));
  EXPECT_TRUE(std::filesystem::is_empty(dir.path() / "quarantine" / "tmp"));

  auto row = quarantine->find("Q1");
  ASSERT_TRUE(row && *row);
  const auto& q = **row;
  EXPECT_EQ(q.status, "held");
  EXPECT_EQ(q.sender, "alice@example.com");
  EXPECT_EQ(q.sender_kind, "user");
  EXPECT_EQ(q.user_domain, "example.com");
  EXPECT_EQ(q.identity, "alice@example.com");
  EXPECT_EQ(q.client_ip, "192.0.2.7");
  EXPECT_EQ(q.rcpt_to, held.envelope.rcpt_to);
  EXPECT_EQ(q.subject, "cheap pills");
  EXPECT_EQ(q.header_message_id, "<m1@example.com>");
  EXPECT_EQ(q.size, kMessage.size());
  EXPECT_EQ(q.check_name, "spam");
  EXPECT_EQ(q.reasons, "PILLS: pharmacy words; URGENT");
  EXPECT_DOUBLE_EQ(q.score, 5.5);
  EXPECT_EQ(q.response, "accepted");
  EXPECT_GT(q.held_at, 0);

  auto read = quarantine->read("Q1");
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->message, kMessage);
  EXPECT_EQ(read->envelope.to_json_line(), held.envelope.to_json_line());
}

TEST_F(QuarantineStoreTest, HoldRefusesADuplicateIdAndBadInput) {
  ASSERT_TRUE(quarantine->hold(request("Q1")));
  auto again = quarantine->hold(request("Q1"));
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("already"), std::string::npos);
  EXPECT_EQ(quarantine->read("Q1")->message, kMessage);  // the first copy is untouched

  EXPECT_FALSE(quarantine->hold(request("../escape")));
  EXPECT_FALSE(quarantine->hold(request("")));
  auto bad_response = request("Q2");
  bad_response.response = "maybe";
  EXPECT_FALSE(quarantine->hold(bad_response));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "quarantine" / "Q2.eml"));
}

TEST_F(QuarantineStoreTest, ListFiltersByDomainStatusAndSender) {
  ASSERT_TRUE(quarantine->hold(request("Q1", "alice@example.com", "example.com")));
  ASSERT_TRUE(quarantine->hold(request("Q2", "bob@example.org", "Example.ORG")));
  ASSERT_TRUE(quarantine->hold(request("Q3", "carol@example.com", "example.com")));
  ASSERT_TRUE(quarantine->remove("Q3"));

  auto ids = [&](QuarantineFilter filter) {
    std::vector<std::string> out;
    auto rows = quarantine->list(filter);
    EXPECT_TRUE(rows) << rows.error().message;
    if (rows)
      for (const auto& row : *rows) out.push_back(row.id);
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(ids({}), (std::vector<std::string>{"Q1", "Q2", "Q3"}));
  QuarantineFilter by_domain;
  by_domain.domain = "EXAMPLE.org";
  EXPECT_EQ(ids(by_domain), std::vector<std::string>{"Q2"});
  QuarantineFilter by_status;
  by_status.status = "held";
  EXPECT_EQ(ids(by_status), (std::vector<std::string>{"Q1", "Q2"}));
  QuarantineFilter by_sender;
  by_sender.sender = "Alice@Example.com";
  EXPECT_EQ(ids(by_sender), std::vector<std::string>{"Q1"});
  QuarantineFilter combined;
  combined.domain = "example.com";
  combined.status = "deleted";
  EXPECT_EQ(ids(combined), std::vector<std::string>{"Q3"});
  QuarantineFilter future;
  future.since = store::unix_now() + 3600;
  EXPECT_TRUE(ids(future).empty());
  QuarantineFilter limited;
  limited.limit = 2;
  EXPECT_EQ(ids(limited).size(), 2u);

  QuarantineFilter bad;
  bad.status = "lost";
  EXPECT_FALSE(quarantine->list(bad));
  bad = {};
  bad.limit = 0;
  EXPECT_FALSE(quarantine->list(bad));
}

TEST_F(QuarantineStoreTest, ReleaseSpoolsTheOriginalEnvelopeUnderANewIdOnce) {
  auto held = request("Q1");
  ASSERT_TRUE(quarantine->hold(held));
  auto queue_id = quarantine->release("Q1", "admin", *spool);
  ASSERT_TRUE(queue_id) << queue_id.error().message;
  EXPECT_NE(*queue_id, "Q1");
  ASSERT_EQ(spooled_ids(), std::vector<std::string>{*queue_id});

  std::string spooled = read_file(spool->incoming_dir() / *queue_id);
  size_t newline = spooled.find('\n');
  auto envelope = mail::Envelope::from_json_line(std::string_view(spooled).substr(0, newline));
  ASSERT_TRUE(envelope) << envelope.error().message;
  EXPECT_EQ(envelope->id, *queue_id);
  EXPECT_EQ(envelope->mail_from, held.envelope.mail_from);
  EXPECT_EQ(envelope->rcpt_to, held.envelope.rcpt_to);
  EXPECT_EQ(envelope->sender, held.envelope.sender);
  EXPECT_EQ(envelope->sender_kind, held.envelope.sender_kind);
  EXPECT_EQ(envelope->domain, held.envelope.domain);
  EXPECT_EQ(envelope->client_ip, held.envelope.client_ip);
  EXPECT_EQ(envelope->smtputf8, held.envelope.smtputf8);
  EXPECT_EQ(envelope->size, kMessage.size());
  EXPECT_EQ(spooled.substr(newline + 1), kMessage);

  auto row = *quarantine->find("Q1");
  EXPECT_EQ(row->status, "released");
  EXPECT_EQ(row->released_by, "admin");
  EXPECT_EQ(row->queue_id, *queue_id);
  EXPECT_GT(row->released_at, 0);

  auto twice = quarantine->release("Q1", "admin", *spool);
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().message.find("already released"), std::string::npos)
      << twice.error().message;
  EXPECT_EQ(spooled_ids().size(), 1u);
  EXPECT_TRUE(quarantine->read("Q1"));  // a released message can still be inspected
}

TEST_F(QuarantineStoreTest, ReleaseOfUnknownOrDeletedMessagesFails) {
  auto unknown = quarantine->release("NOPE", "admin", *spool);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message, "no quarantined message NOPE");

  ASSERT_TRUE(quarantine->hold(request("Q1")));
  ASSERT_TRUE(quarantine->remove("Q1"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "quarantine" / "Q1.eml"));
  EXPECT_EQ((*quarantine->find("Q1"))->status, "deleted");
  auto deleted = quarantine->release("Q1", "admin", *spool);
  ASSERT_FALSE(deleted);
  EXPECT_NE(deleted.error().message.find("deleted"), std::string::npos);
  EXPECT_TRUE(spooled_ids().empty());
  EXPECT_FALSE(quarantine->read("Q1"));
  EXPECT_FALSE(quarantine->remove("Q1"));
  EXPECT_FALSE(quarantine->remove("NOPE"));
}

TEST_F(QuarantineStoreTest, PendingCommandsAreCarriedOutAndAnswered) {
  ASSERT_TRUE(quarantine->hold(request("Q1")));
  store::GatewayCommands commands(*db);
  auto first = commands.add(store::CommandKind::kRelease, "Q1", "cli:root", 1);
  auto second = commands.add(store::CommandKind::kRelease, "Q1", "cli:root", 1);
  auto flush = commands.add(store::CommandKind::kFlush, "", "cli", 1);  // the gateway's, not ours
  auto unknown = commands.add(store::CommandKind::kRelease, "NOPE", "cli:root", 1);
  ASSERT_TRUE(first && second && flush && unknown);
  auto answer = [&](int64_t id) {
    auto state = commands.state(id);
    EXPECT_TRUE(state && *state && (*state)->done) << id;
    return release_answer(state && *state ? (*state)->result : "");
  };
  EXPECT_FALSE((*commands.state(*first))->done);  // pending

  auto done = quarantine->process_commands(*spool, nullptr);
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(*done, 3u);
  auto r1 = answer(*first);
  EXPECT_TRUE(r1.ok) << r1.text;
  auto row = *quarantine->find("Q1");
  EXPECT_EQ(r1.text, "released Q1 as queue id " + row->queue_id);
  EXPECT_EQ(row->released_by, "cli:root");
  auto r2 = answer(*second);
  EXPECT_FALSE(r2.ok);
  EXPECT_NE(r2.text.find("already released"), std::string::npos);
  auto r3 = answer(*unknown);
  EXPECT_FALSE(r3.ok);
  EXPECT_EQ(r3.text, "no quarantined message NOPE");
  EXPECT_FALSE((*commands.state(*flush))->done);  // left for the queue
  EXPECT_EQ(spooled_ids().size(), 1u);

  EXPECT_EQ(*quarantine->process_commands(*spool, nullptr), 0u);  // nothing left
}

TEST_F(QuarantineStoreTest, JsonNamesEveryField) {
  ASSERT_TRUE(quarantine->hold(request("Q1")));
  auto json = to_json(**quarantine->find("Q1"));
  for (const char* key : {"id",
                          "held_at",
                          "client_ip",
                          "sender_kind",
                          "sender",
                          "user_domain",
                          "identity",
                          "mail_from",
                          "rcpt_to",
                          "subject",
                          "header_message_id",
                          "size",
                          "check",
                          "reasons",
                          "score",
                          "response",
                          "status",
                          "released_at",
                          "released_by",
                          "queue_id"})
    EXPECT_TRUE(json.contains(key)) << key;
  EXPECT_EQ(json["rcpt_to"].size(), 2u);
}

}  // namespace
}  // namespace pw::quarantine
