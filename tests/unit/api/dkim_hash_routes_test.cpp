// Proves the DKIM and hash block list routes: a domain admin makes, lists, shows and removes its
// own domain's keys with the DNS record to publish and gets 403 for another domain's; the hash
// block list answers 403 to every domain admin and adds all or nothing for an administrator.
#include "api_fixture.hpp"

namespace pw::api::test {
namespace {

using http::Method;

class DkimRoutesTest : public ApiFixture {};
class HashRoutesTest : public ApiFixture {};

TEST_F(DkimRoutesTest, DomainAdminManagesOnlyItsOwnKeys) {
  auto made = call(kOwnAdmin, Method::kPost, "/api/v1/dkim", {},
                   R"({"domain":"example.com","selector":"s1","algorithm":"ed25519"})");
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(made.json["dns_name"], "s1._domainkey.example.com");
  EXPECT_TRUE(made.json["dns_value"].get<std::string>().starts_with("v=DKIM1; k=ed25519; p="));
  EXPECT_NE(made.json["zone_line"].get<std::string>().find("s1._domainkey.example.com"),
            std::string::npos);
  EXPECT_EQ(call(kOwnAdmin, Method::kPost, "/api/v1/dkim", {},
                 R"({"domain":"example.com","selector":"s1","algorithm":"ed25519"})")
                .status,
            409);
  EXPECT_EQ(call(kOtherAdmin, Method::kPost, "/api/v1/dkim", {},
                 R"({"domain":"example.com","selector":"s2","algorithm":"ed25519"})")
                .status,
            403);
  auto mine = call(kOtherAdmin, Method::kPost, "/api/v1/dkim", {},
                   R"({"domain":"other.test","selector":"o1","algorithm":"ed25519"})");
  ASSERT_EQ(mine.status, 201) << mine.body;

  EXPECT_EQ(call(kAdmin, Method::kGet, "/api/v1/dkim").json["items"].size(), 2u);
  auto listed = call(kOtherAdmin, Method::kGet, "/api/v1/dkim");
  ASSERT_EQ(listed.json["items"].size(), 1u);
  EXPECT_EQ(listed.json["items"][0]["domain"], "other.test");
  EXPECT_EQ(call(kOtherAdmin, Method::kGet, "/api/v1/dkim", {{"domain", "example.com"}}).status,
            403);
  EXPECT_EQ(call(kOtherAdmin, Method::kGet, "/api/v1/dkim/example.com/s1").status, 403);
  EXPECT_EQ(call(kOtherAdmin, Method::kDelete, "/api/v1/dkim/example.com/s1").status, 403);
  auto shown = call(kOwnAdmin, Method::kGet, "/api/v1/dkim/example.com/s1");
  EXPECT_EQ(shown.status, 200);
  EXPECT_EQ(shown.json["dns_value"], made.json["dns_value"]);
  EXPECT_EQ(call(kOwnAdmin, Method::kDelete, "/api/v1/dkim/example.com/s1").status, 204);
  EXPECT_EQ(call(kOwnAdmin, Method::kGet, "/api/v1/dkim/example.com/s1").status, 404);
  EXPECT_EQ(
      call(kOwnAdmin, Method::kPost, "/api/v1/dkim", {}, R"({"domain":"example.com"})").status,
      400);
}

TEST_F(HashRoutesTest, DomainAdminsGetForbiddenEverywhere) {
  const std::string body = R"({"sha256":")" + std::string(64, 'a') + R"("})";
  for (const auto* actor : {&kOwnAdmin, &kOtherAdmin}) {
    EXPECT_EQ(call(*actor, Method::kGet, "/api/v1/hashes").status, 403);
    EXPECT_EQ(call(*actor, Method::kPost, "/api/v1/hashes", {}, body).status, 403);
    EXPECT_EQ(call(*actor, Method::kDelete, "/api/v1/hashes/1").status, 403);
    // The service refuses too, whatever the route table says.
    EXPECT_EQ(call_handler(*actor, Method::kGet, "/api/v1/hashes").status, 403);
    EXPECT_EQ(call_handler(*actor, Method::kPost, "/api/v1/hashes", body).status, 403);
    EXPECT_EQ(call_handler(*actor, Method::kDelete, "/api/v1/hashes/1").status, 403);
  }
  EXPECT_TRUE(call(kAdmin, Method::kGet, "/api/v1/hashes").json["items"].empty());
}

TEST_F(HashRoutesTest, AdministratorAddsListsAndRemoves) {
  const std::string body =
      R"({"sha256":")" + std::string(64, 'A') + R"(","comment":"invoice malware"})";
  auto made = call(kAdmin, Method::kPost, "/api/v1/hashes", {}, body);
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(made.json["items"][0]["value"], std::string(64, 'a'));
  EXPECT_EQ(call(kAdmin, Method::kPost, "/api/v1/hashes", {}, body).status, 409);
  EXPECT_EQ(call(kAdmin, Method::kPost, "/api/v1/hashes", {}, R"({"sha256":"xyz"})").status, 400);
  EXPECT_EQ(call(kAdmin, Method::kPost, "/api/v1/hashes", {}, R"({})").status, 400);
  auto listed = call(kAdmin, Method::kGet, "/api/v1/hashes");
  ASSERT_EQ(listed.json["items"].size(), 1u);
  EXPECT_EQ(listed.json["items"][0]["comment"], "invoice malware");
  const std::string id = std::to_string(listed.json["items"][0]["id"].get<int64_t>());
  EXPECT_EQ(call(kAdmin, Method::kDelete, "/api/v1/hashes/" + id).status, 204);
  EXPECT_EQ(call(kAdmin, Method::kDelete, "/api/v1/hashes/" + id).status, 404);
}

}  // namespace
}  // namespace pw::api::test
