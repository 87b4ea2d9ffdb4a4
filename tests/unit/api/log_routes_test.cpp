// Proves the log search routes: a domain admin finds its users' messages and those sent from its
// domain and nothing else (403 for another domain's filter; 404 for its message, as for a
// missing one), filters combine, every
// page of a keyset-paged search holds each message exactly once (ties in time included, with
// and without the domain filter), and a message's detail explains its decisions.
#include <set>

#include "api_fixture.hpp"

namespace pw::api::test {
namespace {

using http::Method;

class LogRoutesTest : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    log({message("Mown", "alice@example.com", "example.com", 1700000000),
         message("Mother", "eve@other.test", "other.test", 1700000100),
         // An IP user of example.com sending as other.test: visible at both (F-LOG).
         message("Mcross", "joe@other.test", "example.com", 1700000200)});
  }
  static std::set<std::string> ids(const nlohmann::json& page) {
    std::set<std::string> out;
    for (const auto& item : page["items"]) out.insert(item["id"].get<std::string>());
    return out;
  }
};

TEST_F(LogRoutesTest, DomainAdminSeesItsUsersAndItsSendingDomain) {
  auto all = call(kAdmin, Method::kGet, "/api/v1/log");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(ids(all.json), (std::set<std::string>{"Mown", "Mother", "Mcross"}));
  EXPECT_EQ(all.json["items"][0]["id"], "Mcross");  // newest first
  EXPECT_EQ(ids(call(kOwnAdmin, Method::kGet, "/api/v1/log").json),
            (std::set<std::string>{"Mown", "Mcross"}));
  EXPECT_EQ(ids(call(kOtherAdmin, Method::kGet, "/api/v1/log").json),
            (std::set<std::string>{"Mother", "Mcross"}));
  EXPECT_EQ(call(kOtherAdmin, Method::kGet, "/api/v1/log", {{"domain", "example.com"}}).status,
            403);
  EXPECT_EQ(
      ids(call(kOtherAdmin, Method::kGet, "/api/v1/log", {{"sender", "alice@example.com"}}).json),
      std::set<std::string>{});
}

TEST_F(LogRoutesTest, FiltersCombine) {
  auto found = call(kAdmin, Method::kGet, "/api/v1/log",
                    {{"domain", "example.com"},
                     {"status", "queued"},
                     {"from", "2023-11-14T22:13:00Z"},
                     {"to", "1700000150"}});
  ASSERT_EQ(found.status, 200) << found.body;
  EXPECT_EQ(ids(found.json), std::set<std::string>{"Mown"});
  EXPECT_EQ(found.json["items"][0]["recipients"][0]["address"], "bob@example.net");
  EXPECT_EQ(call(kAdmin, Method::kGet, "/api/v1/log", {{"status", "lost"}}).status, 400);
  EXPECT_EQ(call(kAdmin, Method::kGet, "/api/v1/log", {{"from", "yesterday"}}).status, 400);
  EXPECT_EQ(call(kAdmin, Method::kGet, "/api/v1/log", {{"limit", "501"}}).status, 400);
}

TEST_F(LogRoutesTest, DetailExplainsTheDecisions) {
  decide("Mown", "would_tempfail", "example.com",
         "messages_per_hour: 41 messages in the last hour (limit 40)", 1700000000);
  auto detail = call(kOwnAdmin, Method::kGet, "/api/v1/log/Mown");
  ASSERT_EQ(detail.status, 200) << detail.body;
  ASSERT_EQ(detail.json["decisions"].size(), 1u);
  auto decision = detail.json["decisions"][0];
  EXPECT_EQ(decision["check"], "message_rate");
  EXPECT_EQ(decision["reply"], "450 4.7.1 Outgoing limit reached");
  EXPECT_EQ(decision["reasons"][0]["counter"], 41);
  EXPECT_EQ(decision["reasons"][0]["limit"], 40);
  EXPECT_EQ(detail.json["recipients"][0]["status"], "queued");
  // Another domain's message is answered as a missing one, word for word (issue 15, item 3).
  auto hidden = call(kOtherAdmin, Method::kGet, "/api/v1/log/Mown");
  EXPECT_EQ(hidden.status, 404);
  auto missing = call(kOtherAdmin, Method::kGet, "/api/v1/log/Mnosuch");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(hidden.json["error"], "no message Mown");
  EXPECT_EQ(missing.json["error"], "no message Mnosuch");
  EXPECT_EQ(call(kOtherAdmin, Method::kGet, "/api/v1/log/Mcross").status, 200);
  EXPECT_EQ(call(kAdmin, Method::kGet, "/api/v1/log/nosuch").status, 404);
}

// Refused and held mail was never queued: it is found by status rejected / quarantined through
// the decision that stopped it, paged like the log, limited to the domain, and explained.
TEST_F(LogRoutesTest, RefusedAndHeldMailIsFoundByItsStatus) {
  decide("Qheld", "quarantine", "example.com", "spam: score 100 (threshold 50)", 1700000300);
  decide("", "reject", "example.com", "relay: not permitted", 1700000400);
  decide("", "reject", "other.test", "relay: not permitted", 1700000500);
  decide("Mown", "would_reject", "example.com", "monitor only", 1700000600);

  auto held = call(kOwnAdmin, Method::kGet, "/api/v1/log", {{"status", "quarantined"}});
  ASSERT_EQ(held.status, 200) << held.body;
  EXPECT_EQ(ids(held.json), std::set<std::string>{"Qheld"});
  EXPECT_EQ(held.json["items"][0]["status"], "quarantined");

  auto refused =
      call(kAdmin, Method::kGet, "/api/v1/log", {{"status", "rejected"}, {"limit", "1"}});
  ASSERT_EQ(refused.status, 200) << refused.body;
  ASSERT_EQ(refused.json["items"].size(), 1u);
  EXPECT_EQ(refused.json["items"][0]["domain"], "other.test");  // newest first
  ASSERT_TRUE(refused.json["next_cursor"].is_string());
  auto second = call(kAdmin, Method::kGet, "/api/v1/log",
                     {{"status", "rejected"},
                      {"limit", "1"},
                      {"cursor", refused.json["next_cursor"].get<std::string>()}});
  ASSERT_EQ(second.status, 200) << second.body;
  ASSERT_EQ(second.json["items"].size(), 1u);
  EXPECT_EQ(second.json["items"][0]["domain"], "example.com");
  EXPECT_TRUE(second.json["next_cursor"].is_null());

  auto own = call(kOwnAdmin, Method::kGet, "/api/v1/log", {{"status", "rejected"}});
  ASSERT_EQ(own.json["items"].size(), 1u);
  const std::string refused_id = own.json["items"][0]["id"];
  auto detail = call(kOwnAdmin, Method::kGet, "/api/v1/log/" + refused_id);
  ASSERT_EQ(detail.status, 200) << detail.body;
  EXPECT_EQ(detail.json["status"], "rejected");
  EXPECT_EQ(detail.json["decisions"][0]["action"], "reject");
  EXPECT_EQ(call(kOtherAdmin, Method::kGet, "/api/v1/log/" + refused_id).status, 404);
  auto held_detail = call(kOwnAdmin, Method::kGet, "/api/v1/log/Qheld");
  ASSERT_EQ(held_detail.status, 200) << held_detail.body;
  EXPECT_EQ(held_detail.json["decisions"][0]["reasons"][0]["rule"], "spam");
  EXPECT_EQ(call(kOtherAdmin, Method::kGet, "/api/v1/log/Qheld").status, 404);
}

// Keyset pagination: 60 messages in 6 groups sharing one second each, paged by 7.
TEST_F(LogRoutesTest, PaginationReturnsEveryRowExactlyOnce) {
  std::vector<store::ReceivedMessage> batch;
  std::set<std::string> expected_domain, expected_all = {"Mown", "Mother", "Mcross"};
  for (int i = 0; i < 60; ++i) {
    bool own = i % 3 != 0;
    std::string id = "P" + std::to_string(i);
    batch.push_back(message(id, own ? "bob@example.com" : "zed@other.test",
                            own ? "example.com" : "other.test", 1700001000 + (i / 10)));
    expected_all.insert(id);
    if (own) expected_domain.insert(id);
  }
  expected_domain.insert({"Mown", "Mcross"});
  log(batch);
  for (const auto& [actor, filter, expected] :
       {std::tuple{kAdmin, std::string(), expected_all},
        std::tuple{kAdmin, std::string("example.com"), expected_domain},
        std::tuple{kOwnAdmin, std::string(), expected_domain}}) {
    std::multiset<std::string> seen;
    std::map<std::string, std::string> query = {{"limit", "7"}};
    if (!filter.empty()) query["domain"] = filter;
    for (int page = 0; page < 50; ++page) {
      auto answer = call(actor, Method::kGet, "/api/v1/log", query);
      ASSERT_EQ(answer.status, 200) << answer.body;
      for (const auto& item : answer.json["items"]) seen.insert(item["id"].get<std::string>());
      if (answer.json["next_cursor"].is_null()) break;
      query["cursor"] = answer.json["next_cursor"].get<std::string>();
    }
    EXPECT_EQ(seen.size(), expected.size()) << filter;
    EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), expected) << filter;
  }
}

TEST(LogSearchKeyset, StorePagesByBeforeWithTies) {
  pw::test::TempDir dir;
  auto db = store::Database::open(dir.file("postwarden.db"));
  ASSERT_TRUE(db) << db.error().message;
  store::MessageLog log(*db);
  for (int i = 0; i < 25; ++i) {
    store::ReceivedMessage m =
        message("K" + std::to_string(100 + i), "a@example.com", "example.com", 1000 + i / 5);
    ASSERT_TRUE(log.record_received(m));
  }
  std::multiset<std::string> seen;
  store::SearchFilter filter;
  filter.limit = 4;
  filter.status = "queued";
  filter.domain = "example.com";
  for (int page = 0; page < 20; ++page) {
    auto rows = log.search(filter);
    ASSERT_TRUE(rows) << rows.error().message;
    if (rows->empty()) break;
    for (size_t i = 1; i < rows->size(); ++i)
      EXPECT_GT(std::pair((*rows)[i - 1].received_at, (*rows)[i - 1].id),
                std::pair((*rows)[i].received_at, (*rows)[i].id));
    for (const auto& row : *rows) seen.insert(row.id);
    filter.before = {rows->back().received_at, rows->back().id};
  }
  EXPECT_EQ(seen.size(), 25u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 25u);
}

}  // namespace
}  // namespace pw::api::test
