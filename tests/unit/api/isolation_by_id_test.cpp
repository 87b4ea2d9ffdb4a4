// Issue 15, items 2 and 3, in-process against a real database: a name is a domain or an alias,
// never both (refused both ways), the log of a domain admin never reaches another domain through
// an alias (even in a database that already holds the conflict), and every route that takes a
// user's name answers another domain's user as it answers a missing one.
#include <set>

#include "api_fixture.hpp"
#include "store/domain_routing.hpp"

namespace pw::api::test {
namespace {

using http::Method;

const service::Actor kAliasAdmin{service::Role::kDomain, "net", "example.net"};

class IsolationByIdTest : public ApiFixture {};

TEST_F(IsolationByIdTest, ANameIsADomainOrAnAliasNeverBoth) {
  store::DomainRouting routing(*database);
  ASSERT_TRUE(routing.add_alias("example.com", "example.net"));
  auto domain = store::DomainRepository(*database).add("example.net");
  ASSERT_FALSE(domain);
  EXPECT_NE(domain.error().message.find("is an alias of example.com"), std::string::npos)
      << domain.error().message;
  auto upper = store::DomainRepository(*database).add("EXAMPLE.NET");
  EXPECT_FALSE(upper);
  auto api = call(kAdmin, Method::kPost, "/api/v1/domains", {}, R"({"name":"example.net"})");
  EXPECT_EQ(api.status / 100, 4) << api.body;
  // The reverse order stays refused.
  EXPECT_FALSE(routing.add_alias("example.com", "other.test"));
}

// A database written before the rule may hold example.net as a domain and as example.com's
// alias: example.net's admin still sees only example.net's mail.
TEST_F(IsolationByIdTest, LogScopeNeverReachesAnotherDomainThroughAnAlias) {
  ASSERT_TRUE(store::DomainRouting(*database).add_alias("example.com", "example.net"));
  ASSERT_TRUE(store::run(*database,
                         "INSERT INTO domains(name, admin_contact, dkim_selector, created_at) "
                         "VALUES ('example.net', '', '', 0)"));
  log({message("Mcom", "alice@example.com", "example.com", 1700000000),
       message("Mnet", "joe@example.net", "example.net", 1700000100)});
  auto page = call(kAliasAdmin, Method::kGet, "/api/v1/log");
  ASSERT_EQ(page.status, 200) << page.body;
  std::set<std::string> seen;
  for (const auto& item : page.json["items"]) seen.insert(item["id"].get<std::string>());
  EXPECT_EQ(seen, std::set<std::string>{"Mnet"});
  EXPECT_EQ(page.body.find("alice@example.com"), std::string::npos) << page.body;
  EXPECT_EQ(call(kAliasAdmin, Method::kGet, "/api/v1/log", {{"domain", "example.com"}}).status,
            403);
  EXPECT_EQ(call(kAliasAdmin, Method::kGet, "/api/v1/log/Mcom").status, 404);
  EXPECT_EQ(call(kAliasAdmin, Method::kGet, "/api/v1/queue/Mcom").status, 404);
}

// Users are named, not numbered, but the rule is the same: one answer for "not yours" and "not
// there", on every route that takes a user.
TEST_F(IsolationByIdTest, AnotherDomainsUserIsAnsweredAsAMissingOne) {
  auto added = call(kAdmin, Method::kPost, "/api/v1/users", {},
                    R"({"kind":"ip","name":"198.51.100.7","owner":"example.com"})");
  ASSERT_EQ(added.status, 201) << added.body;
  struct Case {
    Method method;
    std::string suffix;
    std::string body;
  };
  const std::vector<Case> cases = {
      {Method::kGet, "", ""},
      {Method::kPatch, "", R"({"settings":{"messages_per_hour":"5"}})"},
      {Method::kPost, "/lock", R"({"reason":"x"})"},
      {Method::kPost, "/unlock", "{}"},
      {Method::kPost, "/reset-counters", "{}"},
      {Method::kDelete, "", ""}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.suffix);
    auto hidden = call(kOtherAdmin, c.method, "/api/v1/users/198.51.100.7" + c.suffix, {}, c.body);
    auto absent = call(kOtherAdmin, c.method, "/api/v1/users/198.51.100.8" + c.suffix, {}, c.body);
    EXPECT_EQ(hidden.status, 404) << hidden.body;
    EXPECT_EQ(absent.status, 404) << absent.body;
    EXPECT_EQ(hidden.json["error"], "unknown user 198.51.100.7/32") << hidden.body;
    EXPECT_EQ(absent.json["error"], "unknown user 198.51.100.8/32") << absent.body;
  }
  EXPECT_EQ(call(kAdmin, Method::kGet, "/api/v1/users/198.51.100.7").status, 200);  // still there
}

}  // namespace
}  // namespace pw::api::test
