// The domains, users, identities and settings routes of the REST API, driven in-process against
// a real database in a temp dir (no sockets): adding each kind of user with settings, all or
// nothing, passwords generated once, locks, the stored abuse contact, and the domain rule (a
// domain admin of another domain gets 403, 404 or a list without the other domain's items).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "../store/temp_dir.hpp"
#include "api/api_context.hpp"
#include "api/api_routes.hpp"
#include "config/config.hpp"
#include "http/request_target.hpp"
#include "policy/policy_snapshot.hpp"
#include "service/settings_service.hpp"
#include "store/node_database.hpp"

namespace pw::api {
namespace {

using http::Method;
using nlohmann::json;

const service::Actor kAdmin{service::Role::kAdmin, "root", ""};
const service::Actor kOwn{service::Role::kDomain, "owner", "example.com"};
const service::Actor kOther{service::Role::kDomain, "x", "other.test"};

config::Config test_config() {
  auto config = config::default_config();
  config.auth.password_hash_ops = 1;  // fast hashing: the cost is not under test
  config.auth.password_hash_mem_kib = 64;
  config.auth.password_min_length = 12;
  config.policy.abuse_contact = "config-abuse@example.org";
  return config;
}

struct Answer {
  int status = 0;
  json body;
};

class DomUsersRoutesTest : public ::testing::Test {
 protected:
  DomUsersRoutesTest() : ctx_(dir_.path().string(), test_config()) {
    add_domain_routes(table_);
    add_user_routes(table_);
    add_identity_routes(table_);
    add_settings_routes(table_);
  }

  void SetUp() override {
    ASSERT_EQ(call(kAdmin, Method::kPost, "/api/v1/domains",
                   {{"name", "example.com"}, {"admin_contact", "postmaster@example.com"}})
                  .status,
              201);
    ASSERT_EQ(call(kAdmin, Method::kPost, "/api/v1/domains", {{"name", "other.test"}}).status, 201);
    ASSERT_EQ(call(kAdmin, Method::kPost, "/api/v1/domains/example.com/aliases",
                   {{"alias", "example.net"}})
                  .status,
              201);
  }

  // The handler itself, as the server calls it after authentication (the server's own 403 for
  // kAdminOnly routes is not applied: the services must refuse on their own).
  Answer call(const service::Actor& actor, Method method, const std::string& target,
              const json& body = nullptr) {
    http::Request request;
    request.method = method;
    std::string path = target;
    if (auto q = target.find('?'); q != std::string::npos) {
      path = target.substr(0, q);
      std::string rest = target.substr(q + 1);
      while (!rest.empty()) {
        auto amp = rest.find('&');
        std::string pair = rest.substr(0, amp);
        auto eq = pair.find('=');
        request.query[*http::percent_decode(pair.substr(0, eq))] =
            eq == std::string::npos ? "" : *http::percent_decode(pair.substr(eq + 1));
        if (amp == std::string::npos) break;
        rest = rest.substr(amp + 1);
      }
    }
    auto match = table_.match(method, path);
    if (!match) {
      ADD_FAILURE() << "no route for " << target;
      return {};
    }
    request.path = path;
    request.path_params = match->path_params;
    if (!body.is_null()) request.body = body.dump();
    auto response = match->route->handler(ctx_, actor, request);
    Answer answer{response.status, nullptr};
    if (!response.body.empty()) answer.body = json::parse(response.body, nullptr, false);
    return answer;
  }

  std::set<std::string> names(const json& list) {
    std::set<std::string> out;
    for (const auto& item : list.at("items")) out.insert(item.at("name").get<std::string>());
    return out;
  }

  test::TempDir dir_;
  ApiContext ctx_;
  RouteTable table_;
};

TEST_F(DomUsersRoutesTest, AddsEachKindOfUserWithSettings) {
  auto ip = call(kAdmin, Method::kPost, "/api/v1/users",
                 {{"kind", "ip"},
                  {"name", "10.0.0.0/24"},
                  {"owner", "example.com"},
                  {"settings", {{"reauth_permitted", true}, {"messages_per_hour", 100}}}});
  ASSERT_EQ(ip.status, 201) << ip.body;
  EXPECT_EQ(ip.body["user"]["kind"], "ip");
  EXPECT_EQ(ip.body["user"]["settings"]["reauth_permitted"], "true");
  EXPECT_EQ(ip.body["user"]["settings"]["messages_per_hour"], "100");
  EXPECT_FALSE(ip.body.contains("password"));

  auto user = call(kAdmin, Method::kPost, "/api/v1/users",
                   {{"kind", "user"},
                    {"name", "Alice@Example.com"},
                    {"password", "a-long-and-unusual-passphrase-77"},
                    {"settings", {{"block_macros", "on"}}}});
  ASSERT_EQ(user.status, 201) << user.body;
  EXPECT_EQ(user.body["user"]["name"], "alice@example.com");
  EXPECT_TRUE(user.body["user"]["has_password"].get<bool>());
  EXPECT_EQ(user.body["user"]["settings"]["block_macros"], "true");
  EXPECT_FALSE(user.body.contains("password")) << "a given password is never echoed";

  auto domain =
      call(kAdmin, Method::kPost, "/api/v1/users", {{"kind", "domain"}, {"name", "example.com"}});
  ASSERT_EQ(domain.status, 201) << domain.body;
  ASSERT_TRUE(domain.body.contains("password"));
  std::string generated = domain.body["password"];
  EXPECT_GE(generated.size(), 20u);

  // Never again: not in the detail, the list or anywhere else.
  auto detail = call(kAdmin, Method::kGet, "/api/v1/users/example.com");
  ASSERT_EQ(detail.status, 200);
  EXPECT_EQ(detail.body.dump().find(generated), std::string::npos);
  EXPECT_FALSE(detail.body.contains("password"));
  EXPECT_TRUE(detail.body["lock"].is_null());
  EXPECT_TRUE(detail.body["counters"].contains("last_24h"));
  EXPECT_EQ(detail.body["settings_detail"].size(), policy::user_setting_defs().size());
  auto list = call(kAdmin, Method::kGet, "/api/v1/users?domain=example.com");
  EXPECT_EQ(list.body.dump().find(generated), std::string::npos);
  EXPECT_EQ(names(list.body),
            (std::set<std::string>{"10.0.0.0/24", "alice@example.com", "example.com"}));
  EXPECT_EQ(names(call(kAdmin, Method::kGet, "/api/v1/users?kind=ip").body),
            std::set<std::string>{"10.0.0.0/24"});
  EXPECT_EQ(names(call(kAdmin, Method::kGet, "/api/v1/users?q=ALICE").body),
            std::set<std::string>{"alice@example.com"});
  EXPECT_EQ(call(kAdmin, Method::kGet, "/api/v1/users?kind=robot").status, 400);

  // A duplicate is a conflict.
  EXPECT_EQ(call(kAdmin, Method::kPost, "/api/v1/users",
                 {{"kind", "user"}, {"name", "alice@example.com"}})
                .status,
            409);
}

TEST_F(DomUsersRoutesTest, ABadSettingAddsNothing) {
  auto bad = call(kAdmin, Method::kPost, "/api/v1/users",
                  {{"kind", "user"},
                   {"name", "bob@example.com"},
                   {"settings", {{"block_macros", "on"}, {"messages_per_hour", "lots"}}}});
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.body["error"].get<std::string>().find("messages_per_hour"), std::string::npos);
  EXPECT_FALSE(bad.body.contains("password"));
  EXPECT_EQ(call(kAdmin, Method::kGet, "/api/v1/users/bob@example.com").status, 404);

  auto unknown = call(kAdmin, Method::kPost, "/api/v1/users",
                      {{"kind", "ip"},
                       {"name", "192.0.2.7"},
                       {"owner", "example.com"},
                       {"settings", {{"no_such_setting", "1"}}}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_TRUE(call(kAdmin, Method::kGet, "/api/v1/users").body["items"].empty());
}

TEST_F(DomUsersRoutesTest, AnIpOnlySettingIsRefusedOnAPasswordUser) {
  auto refused = call(kAdmin, Method::kPost, "/api/v1/users",
                      {{"kind", "user"},
                       {"name", "carol@example.com"},
                       {"settings", {{"reauth_permitted", "true"}}}});
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body["error"].get<std::string>().find("IP users"), std::string::npos);
  EXPECT_EQ(call(kAdmin, Method::kGet, "/api/v1/users/carol@example.com").status, 404);

  ASSERT_EQ(call(kAdmin, Method::kPost, "/api/v1/users",
                 {{"kind", "user"}, {"name", "carol@example.com"}})
                .status,
            201);
  EXPECT_EQ(call(kAdmin, Method::kPatch, "/api/v1/users/carol@example.com",
                 {{"settings", {{"reauth_permitted", "true"}}}})
                .status,
            400);
  // The registry says which kinds a setting is for.
  auto defs = call(kAdmin, Method::kGet, "/api/v1/user-settings");
  ASSERT_EQ(defs.status, 200);
  ASSERT_EQ(defs.body["items"].size(), policy::user_setting_defs().size());
  for (const auto& item : defs.body["items"]) {
    EXPECT_FALSE(item["help"].get<std::string>().empty()) << item["key"];
    if (item["key"] == "reauth_permitted") EXPECT_EQ(item["kinds"], json::array({"ip"}));
    if (item["key"] == "block_macros")
      EXPECT_EQ(item["kinds"], json::array({"ip", "user", "domain"}));
    if (item["key"] == "messages_per_hour") {
      EXPECT_EQ(item["type"], "int");
      EXPECT_EQ(item["min"], 0);
      EXPECT_EQ(item["unit"], "messages");
    }
    if (item["key"] == "identification_method") {
      EXPECT_EQ(item["type"], "choice");
      EXPECT_EQ(item["choices"], json::array({"none", "auth_user", "envelope_sender", "header"}));
    }
  }
}

TEST_F(DomUsersRoutesTest, PasswordsFollowTheStrengthRulesAndAreGeneratedOnce) {
  auto weak = call(kAdmin, Method::kPost, "/api/v1/users",
                   {{"kind", "user"}, {"name", "dave@example.com"}, {"password", "short"}});
  EXPECT_EQ(weak.status, 400);
  EXPECT_EQ(call(kAdmin, Method::kGet, "/api/v1/users/dave@example.com").status, 404);
  EXPECT_EQ(call(kAdmin, Method::kPost, "/api/v1/users",
                 {{"kind", "ip"},
                  {"name", "10.1.0.0/16"},
                  {"owner", "example.com"},
                  {"password", "a-long-and-unusual-passphrase-77"}})
                .status,
            400);
  ASSERT_EQ(
      call(kAdmin, Method::kPost, "/api/v1/users", {{"kind", "user"}, {"name", "dave@example.com"}})
          .status,
      201);
  auto changed = call(kAdmin, Method::kPatch, "/api/v1/users/dave@example.com",
                      {{"password", "another-long-passphrase-99"}});
  EXPECT_EQ(changed.status, 200);
  EXPECT_EQ(changed.body.dump().find("another-long"), std::string::npos);
  EXPECT_EQ(
      call(kAdmin, Method::kPatch, "/api/v1/users/dave@example.com", {{"password", "tiny"}}).status,
      400);
  EXPECT_EQ(call(kAdmin, Method::kPatch, "/api/v1/users/dave@example.com", json::object()).status,
            400);
}

TEST_F(DomUsersRoutesTest, LocksAndUnlocksUsersAndIdentities) {
  ASSERT_EQ(call(kAdmin, Method::kPost, "/api/v1/users",
                 {{"kind", "ip"}, {"name", "10.0.0.0/24"}, {"owner", "example.com"}})
                .status,
            201);
  const std::string user = "/api/v1/users/10.0.0.0%2F24";
  auto locked = call(kOwn, Method::kPost, user + "/lock", {{"reason", "compromised"}});
  ASSERT_EQ(locked.status, 200) << locked.body;
  EXPECT_TRUE(locked.body["locked"].get<bool>());
  EXPECT_EQ(locked.body["lock"]["reason"], "compromised");
  EXPECT_TRUE(locked.body["lock"]["until"].is_null());
  EXPECT_TRUE(call(kAdmin, Method::kGet, "/api/v1/users").body["items"][0]["locked"].get<bool>());
  auto unlocked = call(kOwn, Method::kPost, user + "/unlock", {{"reset_unlocks", true}});
  ASSERT_EQ(unlocked.status, 200);
  EXPECT_FALSE(unlocked.body["locked"].get<bool>());
  EXPECT_TRUE(unlocked.body["lock"].is_null());
  EXPECT_EQ(call(kOwn, Method::kPost, user + "/reset-counters").status, 200);

  auto id = call(kOwn, Method::kPost, "/api/v1/identities/lock",
                 {{"user", "10.0.0.0/24"}, {"identity", "shop@example.com"}, {"reason", "spam"}});
  ASSERT_EQ(id.status, 200) << id.body;
  EXPECT_TRUE(id.body["locked"].get<bool>());
  EXPECT_EQ(id.body["lock"]["reason"], "spam");
  auto locked_list = call(kOwn, Method::kGet, "/api/v1/identities?locked=true");
  ASSERT_EQ(locked_list.body["items"].size(), 1u);
  EXPECT_EQ(locked_list.body["items"][0]["identity"], "shop@example.com");
  EXPECT_EQ(locked_list.body["items"][0]["messages_24h"], 0);
  auto freed = call(kOwn, Method::kPost, "/api/v1/identities/unlock",
                    {{"user", "10.0.0.0/24"}, {"identity", "shop@example.com"}});
  ASSERT_EQ(freed.status, 200);
  EXPECT_FALSE(freed.body["locked"].get<bool>());
  EXPECT_TRUE(call(kOwn, Method::kGet, "/api/v1/identities?locked=true").body["items"].empty());
  EXPECT_EQ(call(kOwn, Method::kGet, "/api/v1/identities").body["items"].size(), 1u);
  EXPECT_EQ(call(kOwn, Method::kPost, "/api/v1/identities/lock",
                 {{"user", "10.0.0.0/24"}, {"identity", std::string("a\nb")}})
                .status,
            400);
  EXPECT_EQ(call(kAdmin, Method::kDelete, user).status, 204);
  EXPECT_EQ(call(kAdmin, Method::kGet, user).status, 404);
}

TEST_F(DomUsersRoutesTest, TheAbuseContactIsStoredAndReachesThePolicySnapshot) {
  auto before = call(kAdmin, Method::kGet, "/api/v1/settings");
  ASSERT_EQ(before.status, 200);
  EXPECT_EQ(before.body["abuse_contact"], "config-abuse@example.org");
  EXPECT_EQ(before.body["abuse_contact_source"], "config");
  EXPECT_TRUE(before.body["lock_template"]["built_in"].get<bool>());

  auto db = store::open_node_database(dir_.path().string());
  ASSERT_TRUE(db);
  const int64_t generation = db->config_generation().value_or(-1);
  auto put = call(kAdmin, Method::kPut, "/api/v1/settings",
                  {{"abuse_contact", "Abuse@Example.com"},
                   {"lock_template", {{"subject", "Locked: {user}"}, {"text", "{reason}\n"}}}});
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.body["abuse_contact"], "abuse@example.com");
  EXPECT_EQ(put.body["abuse_contact_source"], "database");
  EXPECT_EQ(put.body["lock_template"]["subject"], "Locked: {user}");
  EXPECT_GT(db->config_generation().value_or(-1), generation) << "a running gateway must notice";
  auto snapshot = policy::load_policy_snapshot(*db);
  ASSERT_TRUE(snapshot);
  EXPECT_EQ((*snapshot)->abuse_contact, "abuse@example.com");
  EXPECT_EQ((*snapshot)->lock_template("lock").subject, "Locked: {user}");

  // A bad address changes nothing (neither the contact nor the template).
  auto bad = call(kAdmin, Method::kPut, "/api/v1/settings",
                  {{"abuse_contact", "not an address"},
                   {"lock_template", {{"subject", "Other"}, {"text", "x"}}}});
  EXPECT_EQ(bad.status, 400);
  auto after = call(kAdmin, Method::kGet, "/api/v1/settings");
  EXPECT_EQ(after.body["abuse_contact"], "abuse@example.com");
  EXPECT_EQ(after.body["lock_template"]["subject"], "Locked: {user}");

  // "" goes back to the config file's.
  EXPECT_EQ(
      call(kAdmin, Method::kPut, "/api/v1/settings", {{"abuse_contact", ""}}).body["abuse_contact"],
      "config-abuse@example.org");
  // A domain admin's abuse contact is its domain's admin_contact; it may not change the node's.
  EXPECT_EQ(call(kOwn, Method::kGet, "/api/v1/settings").body["abuse_contact"],
            "postmaster@example.com");
  EXPECT_EQ(
      call(kOwn, Method::kPut, "/api/v1/settings", {{"abuse_contact", "me@example.com"}}).status,
      403);

  auto tpl = call(kAdmin, Method::kPut, "/api/v1/templates/lock",
                  {{"subject", "Stop: {user}"}, {"text", "Locked for {reason}; ask {contact}\n"}});
  ASSERT_EQ(tpl.status, 200) << tpl.body;
  auto read = call(kOwn, Method::kGet, "/api/v1/templates/lock");
  EXPECT_EQ(read.body["text"], "Locked for {reason}; ask {contact}\n");
  EXPECT_FALSE(read.body["built_in"].get<bool>());
  EXPECT_EQ(read.body["placeholders"].size(), 8u);
  EXPECT_EQ(call(kAdmin, Method::kPut, "/api/v1/templates/lock",
                 {{"subject", "two\nlines"}, {"text", "x"}})
                .status,
            400);
}

TEST_F(DomUsersRoutesTest, ADomainAdminChangesOnlyWhatItMay) {
  auto own = call(kOwn, Method::kPatch, "/api/v1/domains/example.com",
                  {{"spam_threshold", 8}, {"admin_contact", "abuse@example.com"}});
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(own.body["spam_threshold"], 8);
  EXPECT_EQ(own.body["aliases"], json::array({"example.net"}));
  // Its alias names the same domain.
  EXPECT_EQ(call(kOwn, Method::kGet, "/api/v1/domains/example.net").body["name"], "example.com");
  EXPECT_EQ(
      call(kOwn, Method::kPatch, "/api/v1/domains/example.com", {{"route", "mx.example.com:25"}})
          .status,
      403);
  EXPECT_EQ(call(kOwn, Method::kPatch, "/api/v1/domains/example.com", {{"batv", true}}).status,
            403);
  EXPECT_EQ(call(kAdmin, Method::kPatch, "/api/v1/domains/example.com",
                 {{"route", "mx.example.com:25"}, {"batv", true}})
                .body["route"],
            "mx.example.com:25");
  EXPECT_EQ(
      call(kAdmin, Method::kPatch, "/api/v1/domains/example.com", {{"spam_threshold", 0}}).status,
      400);
  EXPECT_EQ(names(call(kOwn, Method::kGet, "/api/v1/domains").body),
            std::set<std::string>{"example.com"});
  auto added = call(kOwn, Method::kPost, "/api/v1/users",
                    {{"kind", "ip"}, {"name", "198.51.100.0/24"}, {"owner", "example.com"}});
  EXPECT_EQ(added.status, 201) << added.body;
  EXPECT_EQ(call(kOwn, Method::kPost, "/api/v1/users",
                 {{"kind", "ip"}, {"name", "203.0.113.0/24"}, {"owner", "other.test"}})
                .status,
            403);
  EXPECT_EQ(call(kAdmin, Method::kDelete, "/api/v1/domains/other.test").status, 200);
  EXPECT_EQ(call(kAdmin, Method::kGet, "/api/v1/domains/other.test").status, 404);
}

// Every route of these four areas, asked by the admin of other.test about example.com's objects:
// 403 or 404, or a list without example.com's items. A route added without a case here fails the
// test.
TEST_F(DomUsersRoutesTest, EveryRouteRefusesAnotherDomainsAdmin) {
  ASSERT_EQ(call(kAdmin, Method::kPost, "/api/v1/users",
                 {{"kind", "ip"}, {"name", "10.0.0.0/24"}, {"owner", "example.com"}})
                .status,
            201);
  ASSERT_EQ(call(kAdmin, Method::kPost, "/api/v1/users",
                 {{"kind", "user"}, {"name", "alice@example.com"}})
                .status,
            201);
  ASSERT_EQ(call(kAdmin, Method::kPost, "/api/v1/identities/lock",
                 {{"user", "10.0.0.0/24"}, {"identity", "shop@example.com"}})
                .status,
            200);
  ASSERT_EQ(call(kAdmin, Method::kPost, "/api/v1/users/alice@example.com/lock").status, 200);

  struct Case {
    Method method;
    std::string pattern;
    std::string target;
    json body;
    bool list = false;  // 200 allowed when no item names example.com
  };
  const std::string u = "/api/v1/users/10.0.0.0%2F24";
  std::vector<Case> cases = {
      {Method::kGet, "/api/v1/domains", "/api/v1/domains", nullptr, true},
      {Method::kPost, "/api/v1/domains", "/api/v1/domains", {{"name", "new.test"}}},
      {Method::kGet, "/api/v1/domains/{domain}", "/api/v1/domains/example.com", nullptr},
      {Method::kPatch,
       "/api/v1/domains/{domain}",
       "/api/v1/domains/example.com",
       {{"admin_contact", "x@other.test"}}},
      {Method::kDelete, "/api/v1/domains/{domain}", "/api/v1/domains/example.com", nullptr},
      {Method::kPost,
       "/api/v1/domains/{domain}/aliases",
       "/api/v1/domains/example.com/aliases",
       {{"alias", "example.org"}}},
      {Method::kDelete, "/api/v1/domains/{domain}/aliases/{alias}",
       "/api/v1/domains/example.com/aliases/example.net", nullptr},
      {Method::kGet, "/api/v1/user-settings", "/api/v1/user-settings", nullptr, true},
      {Method::kGet, "/api/v1/users", "/api/v1/users", nullptr, true},
      {Method::kGet, "/api/v1/users", "/api/v1/users?domain=example.com", nullptr},
      {Method::kGet, "/api/v1/users", "/api/v1/users?domain=example.net", nullptr},
      {Method::kPost,
       "/api/v1/users",
       "/api/v1/users",
       {{"kind", "user"}, {"name", "eve@example.com"}}},
      {Method::kPost,
       "/api/v1/users",
       "/api/v1/users",
       {{"kind", "ip"}, {"name", "192.0.2.0/24"}, {"owner", "example.net"}}},
      {Method::kGet, "/api/v1/users/{name}", u, nullptr},
      {Method::kGet, "/api/v1/users/{name}", "/api/v1/users/nobody@example.com", nullptr},
      {Method::kPatch, "/api/v1/users/{name}", u, {{"settings", {{"archive", "on"}}}}},
      {Method::kDelete, "/api/v1/users/{name}", u, nullptr},
      {Method::kPost, "/api/v1/users/{name}/lock", u + "/lock", {{"reason", "x"}}},
      {Method::kPost, "/api/v1/users/{name}/unlock", "/api/v1/users/alice@example.com/unlock",
       nullptr},
      {Method::kPost, "/api/v1/users/{name}/reset-counters", u + "/reset-counters", nullptr},
      {Method::kGet, "/api/v1/identities", "/api/v1/identities", nullptr, true},
      {Method::kGet, "/api/v1/identities", "/api/v1/identities?domain=example.com", nullptr},
      {Method::kGet, "/api/v1/identities", "/api/v1/identities?user=10.0.0.0/24", nullptr},
      {Method::kPost,
       "/api/v1/identities/lock",
       "/api/v1/identities/lock",
       {{"user", "10.0.0.0/24"}, {"identity", "other@example.com"}}},
      {Method::kPost,
       "/api/v1/identities/unlock",
       "/api/v1/identities/unlock",
       {{"user", "10.0.0.0/24"}, {"identity", "shop@example.com"}}},
      {Method::kGet, "/api/v1/settings", "/api/v1/settings", nullptr, true},
      {Method::kPut, "/api/v1/settings", "/api/v1/settings", {{"abuse_contact", "x@other.test"}}},
      // The node's lock template is no domain's data: read by all, changed by the admin only.
      {Method::kGet, "/api/v1/templates/{name}", "/api/v1/templates/lock", nullptr, true},
      {Method::kPut,
       "/api/v1/templates/{name}",
       "/api/v1/templates/lock",
       {{"subject", "s"}, {"text", "t"}}},
  };
  std::set<std::pair<int, std::string>> covered;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.target);
    covered.insert({static_cast<int>(c.method), c.pattern});
    auto answer = call(kOther, c.method, c.target, c.body);
    if (c.list && answer.status == 200) {
      EXPECT_EQ(answer.body.dump().find("example.com"), std::string::npos) << answer.body;
      EXPECT_EQ(answer.body.dump().find("10.0.0.0"), std::string::npos) << answer.body;
    } else {
      // 403 (a route or a domain not its own), or 404 for an object of another domain, as for a
      // missing one (issue 15, item 3).
      EXPECT_TRUE(answer.status == 403 || answer.status == 404) << answer.status << answer.body;
    }
  }
  for (const auto& route : table_.routes()) {
    EXPECT_TRUE(covered.count({static_cast<int>(route.method), route.pattern}))
        << "no cross-domain case for " << to_string(route.method) << " " << route.pattern;
    EXPECT_FALSE(route.doc.tag.empty());
    EXPECT_FALSE(route.doc.summary.empty());
  }
  // Nothing changed for example.com.
  auto still = call(kAdmin, Method::kGet, u);
  EXPECT_EQ(still.status, 200);
  EXPECT_TRUE(
      call(kAdmin, Method::kGet, "/api/v1/users/alice@example.com").body["locked"].get<bool>());
  EXPECT_EQ(call(kAdmin, Method::kGet, "/api/v1/identities?locked=true").body["items"].size(), 1u);
  EXPECT_EQ(call(kAdmin, Method::kGet, "/api/v1/domains/example.com").body["aliases"],
            json::array({"example.net"}));
  EXPECT_EQ(call(kAdmin, Method::kGet, "/api/v1/settings").body["abuse_contact"],
            "config-abuse@example.org");
}

}  // namespace
}  // namespace pw::api
