// Proves the quarantine routes: a domain admin lists, views, reads and deletes only its domain's
// held mail (404 for another domain's, as for a missing one), only an administrator releases (into
// the spool when no gateway runs), the detail carries headers, text and the decision trail, and
// pages of the list hold every message exactly once.
#include <filesystem>
#include <set>

#include "api_fixture.hpp"

namespace pw::api::test {
namespace {

using http::Method;

class QuarantineRoutesTest : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    hold("Qown1", "alice@example.com", "example.com");
    hold("Qother1", "eve@other.test", "other.test");
  }
  static std::set<std::string> ids(const nlohmann::json& page) {
    std::set<std::string> out;
    for (const auto& item : page["items"]) out.insert(item["id"].get<std::string>());
    return out;
  }
};

TEST_F(QuarantineRoutesTest, ListIsLimitedToTheDomainAdminsDomain) {
  auto all = call(kAdmin, Method::kGet, "/api/v1/quarantine");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(ids(all.json), (std::set<std::string>{"Qown1", "Qother1"}));
  auto own = call(kOwnAdmin, Method::kGet, "/api/v1/quarantine");
  EXPECT_EQ(ids(own.json), std::set<std::string>{"Qown1"});
  auto other = call(kOtherAdmin, Method::kGet, "/api/v1/quarantine");
  EXPECT_EQ(ids(other.json), std::set<std::string>{"Qother1"});
  EXPECT_EQ(
      call(kOtherAdmin, Method::kGet, "/api/v1/quarantine", {{"domain", "example.com"}}).status,
      403);
  auto item = own.json["items"][0];
  EXPECT_EQ(item["sender"], "alice@example.com");
  EXPECT_EQ(item["check"], "spam");
  EXPECT_EQ(item["recipients"], nlohmann::json::array({"bob@example.net"}));
}

TEST_F(QuarantineRoutesTest, MessageSentFromTheDomainIsVisibleThereToo) {
  // An IP user of other.test sending as example.com: both domains see it (F-LOG).
  hold("Qcross", "joe@example.com", "other.test");
  auto own = call(kOwnAdmin, Method::kGet, "/api/v1/quarantine");
  EXPECT_EQ(ids(own.json), (std::set<std::string>{"Qown1", "Qcross"}));
  EXPECT_EQ(call(kOwnAdmin, Method::kGet, "/api/v1/quarantine/Qcross").status, 200);
}

TEST_F(QuarantineRoutesTest, DetailCarriesHeadersTextAndTheDecisionTrail) {
  decide("Qown1", "quarantine", "example.com",
         "PILLS: pharmacy words; spam_score: score 9.5 at "
         "or over the threshold 5",
         1700000000);
  auto detail = call(kOwnAdmin, Method::kGet, "/api/v1/quarantine/Qown1");
  ASSERT_EQ(detail.status, 200) << detail.body;
  EXPECT_EQ(detail.json["headers"][2], nlohmann::json::array({"Subject", "cheap pills"}));
  EXPECT_NE(detail.json["text"].get<std::string>().find("buy now"), std::string::npos);
  ASSERT_EQ(detail.json["decisions"].size(), 1u);
  auto reasons = detail.json["decisions"][0]["reasons"];
  ASSERT_EQ(reasons.size(), 2u);
  EXPECT_EQ(reasons[1]["score"], 9.5);
  EXPECT_EQ(reasons[1]["limit"], 5);
  auto raw = call(kOwnAdmin, Method::kGet, "/api/v1/quarantine/Qown1/raw");
  EXPECT_EQ(raw.status, 200);
  EXPECT_EQ(raw.content_type, "message/rfc822");
  EXPECT_EQ(raw.body, kMessage);
}

// Another domain's message is answered as a missing one on every route (issue 15, item 3); the
// admin-only release keeps its route-level 403, which says nothing about ids.
TEST_F(QuarantineRoutesTest, AnotherDomainsMessageIsNotFoundOnEveryRoute) {
  auto hidden = call(kOtherAdmin, Method::kGet, "/api/v1/quarantine/Qown1");
  EXPECT_EQ(hidden.status, 404);
  EXPECT_EQ(hidden.json["error"], "no quarantined message Qown1");
  auto missing = call(kOtherAdmin, Method::kGet, "/api/v1/quarantine/Qnosuch");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.json["error"], "no quarantined message Qnosuch");
  EXPECT_EQ(call(kOtherAdmin, Method::kGet, "/api/v1/quarantine/Qown1/raw").status, 404);
  EXPECT_EQ(call(kOtherAdmin, Method::kDelete, "/api/v1/quarantine/Qown1").status, 404);
  EXPECT_EQ(call(kOtherAdmin, Method::kPost, "/api/v1/quarantine/Qown1/release").status, 403);
  EXPECT_EQ(call_handler(kOtherAdmin, Method::kPost, "/api/v1/quarantine/Qown1/release").status,
            403);
  // Nothing changed.
  auto still = call(kAdmin, Method::kGet, "/api/v1/quarantine/Qown1");
  EXPECT_EQ(still.json["status"], "held");
}

TEST_F(QuarantineRoutesTest, ReleaseIsForAdministratorsOnly) {
  // Its own domain's message, still refused: release is for the support level (F-RELEASE).
  EXPECT_EQ(call(kOwnAdmin, Method::kPost, "/api/v1/quarantine/Qown1/release").status, 403);
  auto refused = call_handler(kOwnAdmin, Method::kPost, "/api/v1/quarantine/Qown1/release");
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(call(kAdmin, Method::kGet, "/api/v1/quarantine/Qown1").json["status"], "held");

  auto released = call(kAdmin, Method::kPost, "/api/v1/quarantine/Qown1/release");
  ASSERT_EQ(released.status, 200) << released.body;
  EXPECT_EQ(released.json["released"], true);
  const std::string queue_id = released.json["queue_id"];
  ASSERT_FALSE(queue_id.empty());
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "spool" / "incoming" / queue_id));
  auto detail = call(kAdmin, Method::kGet, "/api/v1/quarantine/Qown1");
  EXPECT_EQ(detail.json["status"], "released");
  EXPECT_EQ(detail.json["released_by"], "api:root");
  EXPECT_EQ(call(kAdmin, Method::kPost, "/api/v1/quarantine/Qown1/release").status, 409);
  EXPECT_EQ(call(kAdmin, Method::kPost, "/api/v1/quarantine/nosuch/release").status, 404);
}

TEST_F(QuarantineRoutesTest, DeleteOwnMessage) {
  EXPECT_EQ(call(kOwnAdmin, Method::kDelete, "/api/v1/quarantine/Qown1").status, 204);
  EXPECT_EQ(call(kOwnAdmin, Method::kGet, "/api/v1/quarantine/Qown1/raw").status, 404);
  EXPECT_EQ(call(kOwnAdmin, Method::kGet, "/api/v1/quarantine/Qown1").json["status"], "deleted");
  EXPECT_EQ(call(kOwnAdmin, Method::kGet, "/api/v1/quarantine/nosuch").status, 404);
}

TEST_F(QuarantineRoutesTest, PagesHoldEveryMessageExactlyOnce) {
  std::set<std::string> expected = {"Qown1"};
  for (int i = 0; i < 6; ++i) {
    hold("Qpage" + std::to_string(i), "alice@example.com", "example.com");
    expected.insert("Qpage" + std::to_string(i));
  }
  std::multiset<std::string> seen;
  std::map<std::string, std::string> query = {{"limit", "2"}};
  for (int page = 0; page < 10; ++page) {
    auto answer = call(kOwnAdmin, Method::kGet, "/api/v1/quarantine", query);
    ASSERT_EQ(answer.status, 200) << answer.body;
    EXPECT_LE(answer.json["items"].size(), 2u);
    for (const auto& item : answer.json["items"]) seen.insert(item["id"].get<std::string>());
    if (answer.json["next_cursor"].is_null()) break;
    query["cursor"] = answer.json["next_cursor"].get<std::string>();
  }
  EXPECT_EQ(seen.size(), expected.size());
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), expected);
  EXPECT_EQ(call(kAdmin, Method::kGet, "/api/v1/quarantine", {{"limit", "0"}}).status, 400);
  EXPECT_EQ(call(kAdmin, Method::kGet, "/api/v1/quarantine", {{"cursor", "junk"}}).status, 400);
}

}  // namespace
}  // namespace pw::api::test
