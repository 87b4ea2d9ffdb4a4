// Proves the archive and dashboard routes: a domain admin searches and reads only its own
// domain's archive (403 for another's filter, 404 for its message), and the dashboard counts sent,
// blocked, quarantined and deferred mail per hour and day, the top senders and the locks in force,
// for the whole node or one domain only.
#include <array>
#include <set>

#include "api_fixture.hpp"

namespace pw::api::test {
namespace {

using http::Method;

class ArchiveRoutesTest : public ApiFixture {
 protected:
  void archive(const std::string& id, const std::string& mail_from, const std::string& domain,
               int64_t at) {
    mail::Envelope e;
    e.id = id;
    e.received_at = at;
    e.sender_kind = mail::Origin::kUser;
    e.sender = mail_from;
    e.domain = domain;
    e.mail_from = mail_from;
    e.rcpt_to = {"bob@example.net"};
    auto r = archive::ArchiveStore(*database, dir.path()).archive({e, kMessage});
    ASSERT_TRUE(r) << r.error().message;
  }
};

TEST_F(ArchiveRoutesTest, DomainAdminReadsOnlyItsOwnArchive) {
  archive("A1", "alice@example.com", "example.com", 1700000000);
  archive("A2", "alice@example.com", "example.com", 1700000100);
  archive("A3", "eve@other.test", "other.test", 1700000200);
  auto own = call(kOwnAdmin, Method::kGet, "/api/v1/archive", {{"limit", "1"}});
  ASSERT_EQ(own.status, 200) << own.body;
  ASSERT_EQ(own.json["items"].size(), 1u);
  EXPECT_EQ(own.json["items"][0]["id"], "A2");
  auto next = call(kOwnAdmin, Method::kGet, "/api/v1/archive",
                   {{"limit", "1"}, {"cursor", own.json["next_cursor"].get<std::string>()}});
  ASSERT_EQ(next.json["items"].size(), 1u);
  EXPECT_EQ(next.json["items"][0]["id"], "A1");
  EXPECT_TRUE(next.json["next_cursor"].is_null());
  EXPECT_EQ(call(kOtherAdmin, Method::kGet, "/api/v1/archive", {{"domain", "example.com"}}).status,
            403);
  auto other = call(kOtherAdmin, Method::kGet, "/api/v1/archive");
  ASSERT_EQ(other.json["items"].size(), 1u);
  EXPECT_EQ(other.json["items"][0]["id"], "A3");
  EXPECT_EQ(call(kAdmin, Method::kGet, "/api/v1/archive").status, 400);  // which archive?
  EXPECT_EQ(call(kAdmin, Method::kGet, "/api/v1/archive", {{"domain", "example.com"}})
                .json["items"]
                .size(),
            2u);
  EXPECT_EQ(call(kOtherAdmin, Method::kGet, "/api/v1/archive/A1/raw").status, 404);
  EXPECT_EQ(call(kOtherAdmin, Method::kGet, "/api/v1/archive/Anosuch/raw").status, 404);
  auto raw = call(kOwnAdmin, Method::kGet, "/api/v1/archive/A1/raw");
  EXPECT_EQ(raw.status, 200);
  EXPECT_EQ(raw.content_type, "message/rfc822");
  EXPECT_EQ(raw.body, kMessage);
  EXPECT_EQ(call(kOwnAdmin, Method::kGet, "/api/v1/archive/nosuch/raw").status, 404);
}

class StatsRoutesTest : public ApiFixture {
 protected:
  // sent, blocked, quarantined, deferred over every bucket
  using Totals = std::array<int64_t, 4>;
  static Totals totals(const nlohmann::json& stats) {
    Totals sum{};
    for (const auto& b : stats["buckets"]) {
      sum[0] += b["sent"].get<int64_t>();
      sum[1] += b["blocked"].get<int64_t>();
      sum[2] += b["quarantined"].get<int64_t>();
      sum[3] += b["deferred"].get<int64_t>();
    }
    return sum;
  }
};

TEST_F(StatsRoutesTest, CountsPerBucketForTheNodeOrOneDomain) {
  const int64_t now = store::unix_now();
  log({message("S1", "alice@example.com", "example.com", now - 10),
       message("S2", "alice@example.com", "example.com", now - 20),
       message("S3", "eve@other.test", "other.test", now - 7200),
       message("S4", "eve@other.test", "other.test", now - 30)},
      {{"S1", "bob@example.net", store::DeliveryStatus::kDelivered, 1, 0, "250 ok", "mx", ""},
       {"S2", "bob@example.net", store::DeliveryStatus::kDeferred, 1, now + 60, "451", "mx", ""},
       {"S3", "bob@example.net", store::DeliveryStatus::kDelivered, 1, 0, "250 ok", "mx", ""}});
  decide("", "reject", "example.com", "null_sender: MAIL FROM is <>", now - 5);
  hold("Qstat", "eve@other.test", "other.test");
  auto user = store::run(*database,
                         "INSERT INTO users (domain_id, kind, name, created_at, updated_at) VALUES "
                         "((SELECT id FROM domains WHERE name = 'example.com'), 'user', "
                         "'alice@example.com', 0, 0)");
  ASSERT_TRUE(user) << user.error().message;
  auto locked = store::run(*database,
                           "INSERT INTO locks (subject, locked, reason, locked_at) VALUES "
                           "('user:alice@example.com', 1, 'spam', ?1), "
                           "('identity:eve@other.test/eve@other.test', 1, 'spam', ?1)",
                           {now - 100});
  ASSERT_TRUE(locked) << locked.error().message;

  auto all = call(kAdmin, Method::kGet, "/api/v1/stats");
  ASSERT_EQ(all.status, 200) << all.body;
  ASSERT_EQ(all.json["buckets"].size(), 24u);
  EXPECT_EQ(totals(all.json), (Totals{2, 1, 1, 1}));
  EXPECT_EQ(all.json["top_senders"][0]["user"], "alice@example.com");
  EXPECT_EQ(all.json["top_senders"][0]["messages"], 2);
  EXPECT_EQ(all.json["locks"]["users"].size(), 1u);
  EXPECT_EQ(all.json["locks"]["identities"].size(), 1u);

  auto days = call(kAdmin, Method::kGet, "/api/v1/stats", {{"period", "day"}});
  ASSERT_EQ(days.json["buckets"].size(), 30u);
  EXPECT_EQ(totals(days.json), (Totals{2, 1, 1, 1}));

  auto own = call(kOwnAdmin, Method::kGet, "/api/v1/stats");
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(totals(own.json), (Totals{1, 1, 0, 1}));
  EXPECT_EQ(own.json["top_senders"].size(), 1u);
  EXPECT_EQ(own.json["locks"]["users"].size(), 1u);
  EXPECT_EQ(own.json["locks"]["identities"].size(), 0u);

  auto other = call(kOtherAdmin, Method::kGet, "/api/v1/stats");
  EXPECT_EQ(totals(other.json), (Totals{1, 0, 1, 0}));
  EXPECT_EQ(other.json["locks"]["users"].size(), 0u);
  EXPECT_EQ(call(kOtherAdmin, Method::kGet, "/api/v1/stats", {{"domain", "example.com"}}).status,
            403);
  EXPECT_EQ(call(kAdmin, Method::kGet, "/api/v1/stats", {{"period", "week"}}).status, 400);
}

}  // namespace
}  // namespace pw::api::test
