// Proves the queue routes: a domain admin lists, views, flushes and deletes only its domain's
// queued messages (404 for another's, as for a missing one), flushing the whole queue is for
// administrators only, and without a running gateway the actions work on the log and spool
// directly.
#include <set>

#include "api_fixture.hpp"

namespace pw::api::test {
namespace {

using http::Method;

class QueueRoutesTest : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    log({message("Qm1", "alice@example.com", "example.com", 1700000000),
         message("Qm2", "eve@other.test", "other.test", 1700000100)},
        {{"Qm2", "bob@example.net", store::DeliveryStatus::kDeferred, 1, 1700009999,
          "451 4.7.1 later", "mx.example.net", "deferred"}});
  }
  static std::set<std::string> ids(const nlohmann::json& page) {
    std::set<std::string> out;
    for (const auto& item : page["items"]) out.insert(item["id"].get<std::string>());
    return out;
  }
};

TEST_F(QueueRoutesTest, ListIsLimitedToTheDomain) {
  auto all = call(kAdmin, Method::kGet, "/api/v1/queue");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(ids(all.json), (std::set<std::string>{"Qm1", "Qm2"}));
  EXPECT_EQ(ids(call(kOwnAdmin, Method::kGet, "/api/v1/queue").json), std::set<std::string>{"Qm1"});
  EXPECT_EQ(ids(call(kOtherAdmin, Method::kGet, "/api/v1/queue").json),
            std::set<std::string>{"Qm2"});
  EXPECT_EQ(call(kOtherAdmin, Method::kGet, "/api/v1/queue", {{"domain", "example.com"}}).status,
            403);
  auto deferred = call(kAdmin, Method::kGet, "/api/v1/queue", {{"status", "deferred"}});
  EXPECT_EQ(ids(deferred.json), std::set<std::string>{"Qm2"});
  EXPECT_EQ(deferred.json["items"][0]["recipients"][0]["attempts"], 1);
  auto paged = call(kAdmin, Method::kGet, "/api/v1/queue", {{"limit", "1"}});
  ASSERT_EQ(paged.json["items"].size(), 1u);
  EXPECT_EQ(paged.json["items"][0]["id"], "Qm1");  // oldest first
  auto second = call(kAdmin, Method::kGet, "/api/v1/queue",
                     {{"limit", "1"}, {"cursor", paged.json["next_cursor"].get<std::string>()}});
  EXPECT_EQ(second.json["items"][0]["id"], "Qm2");
  EXPECT_TRUE(second.json["next_cursor"].is_null());
}

// Answered as a missing message, so the answer tells no one which ids exist (issue 15, item 3).
TEST_F(QueueRoutesTest, AnotherDomainsMessageIsNotFound) {
  EXPECT_EQ(call(kOtherAdmin, Method::kGet, "/api/v1/queue/Qm1").status, 404);
  auto flush = call(kOtherAdmin, Method::kPost, "/api/v1/queue/Qm1/flush");
  auto flush_missing = call(kOtherAdmin, Method::kPost, "/api/v1/queue/Qnosuch/flush");
  EXPECT_EQ(flush.status, 404);
  EXPECT_EQ(flush_missing.status, 404);
  EXPECT_EQ(flush.json["error"].get<std::string>().find("Qm1") != std::string::npos, true);
  EXPECT_EQ(call(kOtherAdmin, Method::kDelete, "/api/v1/queue/Qm1").status, 404);
  EXPECT_EQ(call(kAdmin, Method::kGet, "/api/v1/queue/Qm1").json["status"], "queued");
  EXPECT_EQ(call(kOtherAdmin, Method::kGet, "/api/v1/queue/nosuch").status, 404);
}

TEST_F(QueueRoutesTest, FlushAllIsForAdministratorsOnly) {
  EXPECT_EQ(call(kOwnAdmin, Method::kPost, "/api/v1/queue/flush").status, 403);
  EXPECT_EQ(call_handler(kOwnAdmin, Method::kPost, "/api/v1/queue/flush").status, 403);
  auto flushed = call(kAdmin, Method::kPost, "/api/v1/queue/flush");
  ASSERT_EQ(flushed.status, 200) << flushed.body;
  EXPECT_EQ(flushed.json["text"],
            "flushed 1 recipient(s); no gateway is running: they are tried when it starts");
}

TEST_F(QueueRoutesTest, OwnMessageCanBeFlushedAndDeleted) {
  auto flushed = call(kOwnAdmin, Method::kPost, "/api/v1/queue/Qm1/flush");
  ASSERT_EQ(flushed.status, 200) << flushed.body;
  EXPECT_EQ(call(kOwnAdmin, Method::kGet, "/api/v1/queue/Qm1").status, 200);
  EXPECT_EQ(call(kOwnAdmin, Method::kDelete, "/api/v1/queue/Qm1").status, 204);
  EXPECT_EQ(call(kAdmin, Method::kGet, "/api/v1/log/Qm1").json["status"], "deleted");
  EXPECT_EQ(ids(call(kOwnAdmin, Method::kGet, "/api/v1/queue").json), std::set<std::string>{});
}

}  // namespace
}  // namespace pw::api::test
