// Proves the message log: statuses follow recipients, searches filter as documented (domain at
// the user's and at the sending domain, aliases mapped), pending lists only unfinished mail.
#include "store/message_log.hpp"

#include <gtest/gtest.h>

#include "engine_database.hpp"
#include "store/domain_repository.hpp"
#include "store/domain_routing.hpp"
#include "store/log_writer.hpp"

namespace pw::store {
namespace {

class MessageLogTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    auto opened = Database::open(where.location());
    ASSERT_TRUE(opened) << opened.error().message;
    db.emplace(std::move(*opened));
    ASSERT_TRUE(DomainRepository(*db).add("example.com"));
    ASSERT_TRUE(DomainRepository(*db).add("hosting.example"));
  }

  ReceivedMessage message(std::string id, std::string from, std::vector<std::string> to,
                          int64_t at = 1000) {
    ReceivedMessage m;
    m.id = std::move(id);
    m.received_at = at;
    m.client_ip = "192.0.2.7";
    m.helo = "client.example";
    m.sender_kind = "ip";
    m.sender = "192.0.2.0/24";
    m.user_domain = "hosting.example";
    m.mail_from = std::move(from);
    m.size = 100;
    m.subject = "hello";
    m.recipients = std::move(to);
    return m;
  }

  test::EngineDatabase where{GetParam()};
  std::optional<Database> db;
};

TEST_P(MessageLogTest, MessageStatusFollowsItsRecipients) {
  MessageLog log(*db);
  ASSERT_TRUE(log.record_received(message("A1", "a@example.com", {"x@one.test", "y@two.test"})));
  EXPECT_EQ((*log.find("A1"))->status, "queued");
  ASSERT_TRUE(log.record_recipient({"A1", "x@one.test", DeliveryStatus::kDelivered, 1, 0, "250 ok",
                                    "mx.one.test", "delivered"}));
  ASSERT_TRUE(log.record_recipient({"A1", "y@two.test", DeliveryStatus::kDeferred, 1, 2000,
                                    "451 later", "mx.two.test", "deferred"}));
  EXPECT_EQ((*log.find("A1"))->status, "deferred");
  ASSERT_EQ(log.pending()->size(), 1u);
  ASSERT_TRUE(log.record_recipient({"A1", "y@two.test", DeliveryStatus::kBounced, 2, 0,
                                    "550 no such user", "mx.two.test", "bounced"}));
  auto row = *log.find("A1");
  EXPECT_EQ(row->status, "bounced");
  EXPECT_TRUE(log.pending()->empty());
  auto events = log.events("A1");
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 4u);  // received, delivered, deferred, bounced
  EXPECT_EQ(events->back().event, "bounced");
  EXPECT_EQ(events->back().detail, "550 no such user");
}

TEST_P(MessageLogTest, DomainSearchFindsUserDomainAndSendingDomain) {
  MessageLog log(*db);
  ASSERT_TRUE(log.record_received(message("B1", "shop@example.com", {"c@customer.test"})));
  SearchFilter by_sender_domain;
  by_sender_domain.domain = "example.com";
  EXPECT_EQ(log.search(by_sender_domain)->size(), 1u);
  SearchFilter by_user_domain;
  by_user_domain.domain = "hosting.example";
  EXPECT_EQ(log.search(by_user_domain)->size(), 1u);
  SearchFilter other;
  other.domain = "customer.test";
  EXPECT_TRUE(log.search(other)->empty());
}

TEST_P(MessageLogTest, AliasTrafficIsLoggedUnderTheMainDomain) {
  ASSERT_TRUE(DomainRouting(*db).add_alias("example.com", "example.net"));
  MessageLog log(*db);
  ASSERT_TRUE(log.record_received(message("C1", "news@Example.NET", {"c@customer.test"})));
  EXPECT_EQ((*log.find("C1"))->sender_domain, "example.com");
  SearchFilter filter;
  filter.domain = "example.net";  // searching by the alias finds it too
  EXPECT_EQ(log.search(filter)->size(), 1u);
}

TEST_P(MessageLogTest, FiltersCombineAndPaginate) {
  MessageLog log(*db);
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(log.record_received(
        message("D" + std::to_string(i), i % 2 ? "odd@example.com" : "even@example.com",
                {"r" + std::to_string(i) + "@customer.test"}, 1000 + i)));
  SearchFilter f;
  f.sender = "ODD@example.com";
  EXPECT_EQ(log.search(f)->size(), 5u);
  f.since = 1005;
  EXPECT_EQ(log.search(f)->size(), 3u);  // 1005, 1007, 1009
  f.until = 1009;
  EXPECT_EQ(log.search(f)->size(), 2u);
  SearchFilter page;
  page.limit = 4;
  page.offset = 8;
  auto rows = log.search(page);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(rows->front().id, "D1");  // newest first: D9..D0, so the 9th is D1
  SearchFilter rcpt;
  rcpt.recipient = "r3@customer.test";
  ASSERT_EQ(log.search(rcpt)->size(), 1u);
  SearchFilter status;
  status.status = "delivered";
  EXPECT_TRUE(log.search(status)->empty());
}

TEST_P(MessageLogTest, SearchTreatsFilterTextAsDataNotSql) {
  MessageLog log(*db);
  ASSERT_TRUE(log.record_received(message("E1", "a@example.com", {"b@customer.test"})));
  SearchFilter f;
  f.sender = "x' OR '1'='1";
  auto rows = log.search(f);
  ASSERT_TRUE(rows);
  EXPECT_TRUE(rows->empty());
}

TEST_P(MessageLogTest, WriterCommitsInBatchesAndRunsCallbacksAfterCommit) {
  auto writer = LogWriter::start(where.location(), {100, std::chrono::milliseconds(50)});
  ASSERT_TRUE(writer) << writer.error().message;
  std::atomic<int> committed{0};
  for (int i = 0; i < 250; ++i) {
    auto m = message("W" + std::to_string(i), "a@example.com", {"b@customer.test"});
    (*writer)->submit([m](MessageLog& l) { return l.record_received(m); },
                      [&committed] { ++committed; });
  }
  (*writer)->drain();
  EXPECT_EQ(committed.load(), 250);
  EXPECT_LE((*writer)->committed_batches(), 10u);
  MessageLog log(*db);
  SearchFilter all;
  all.limit = 1000;
  EXPECT_EQ(log.search(all)->size(), 250u);
}

INSTANTIATE_TEST_SUITE_P(Engines, MessageLogTest, test::kEngines, test::EngineName());

}  // namespace
}  // namespace pw::store
