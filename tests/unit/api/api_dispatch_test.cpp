// The API's front door in-process (no sockets): login and its cookie, the CSRF rule, bearer
// tokens, access levels (401 / 403), the login rate limit, and accounts through the service
// (F-PANEL).
#include "api/api_dispatch.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../store/temp_dir.hpp"
#include "api/api_context.hpp"
#include "api/api_routes.hpp"
#include "service/account_service.hpp"
#include "store/domain_repository.hpp"

namespace pw::api {
namespace {

using http::Method;
using http::Request;
using http::Response;

using nlohmann::json;

config::Config cheap_config() {
  auto config = config::default_config();
  config.auth.password_hash_ops = 1;
  config.auth.password_hash_mem_kib = 8192;
  return config;
}

class HttpApiDispatch : public testing::Test {
 protected:
  void SetUp() override {
    auto db = ctx_.database();
    ASSERT_TRUE(db);
    ASSERT_TRUE(store::DomainRepository(**db).add("example.com"));
    ASSERT_TRUE(store::DomainRepository(**db).add("other.test"));
    service::AccountService accounts(**db, ctx_.config());
    ASSERT_TRUE(
        accounts.add(service::Actor::cli(), "root", service::Role::kAdmin, "", "admin password 1"));
    ASSERT_TRUE(accounts.add(service::Actor::cli(), "ops@other.test", service::Role::kDomain,
                             "other.test", "domain password 1"));
  }

  Response call(Method method, const std::string& path, const std::string& body = "",
                std::map<std::string, std::string> headers = {}) {
    Request request;
    request.method = method;
    request.path = path;
    request.body = body;
    request.headers = std::move(headers);
    request.client_ip = "127.0.0.1";
    return dispatch_api(table_, ctx_, path, request);
  }

  // Logs in; returns the cookie header value and the CSRF token.
  std::pair<std::string, std::string> login(const std::string& user, const std::string& password) {
    auto r = call(Method::kPost, "/api/v1/login",
                  json{{"username", user}, {"password", password}}.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    std::string cookie;
    for (const auto& [name, value] : r.headers)
      if (name == "Set-Cookie") cookie = value.substr(0, value.find(';'));
    return {cookie, json::parse(r.body).value("csrf_token", "")};
  }

  test::TempDir dir_;
  api::ApiContext ctx_{dir_.path().string(), cheap_config()};
  api::RouteTable table_ = api::all_routes();
};

TEST_F(HttpApiDispatch, LoginSetsAStrictSessionCookieAndReturnsTheCsrfToken) {
  auto r = call(Method::kPost, "/api/v1/login",
                json{{"username", "ROOT"}, {"password", "admin password 1"}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  auto body = json::parse(r.body);
  EXPECT_EQ(body["username"], "root");
  EXPECT_EQ(body["role"], "admin");
  EXPECT_TRUE(body["domain"].is_null());
  EXPECT_EQ(body["csrf_token"].get<std::string>().size(), 64u);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "Set-Cookie");
  const std::string& cookie = r.headers[0].second;
  EXPECT_EQ(cookie.rfind("pw_session=", 0), 0u);
  for (const char* flag : {"; HttpOnly", "; Secure", "; SameSite=Strict", "; Path=/"})
    EXPECT_NE(cookie.find(flag), std::string::npos) << flag;
}

TEST_F(HttpApiDispatch, BadNameAndBadPasswordGetTheSameAnswer) {
  auto wrong_password = call(Method::kPost, "/api/v1/login",
                             json{{"username", "root"}, {"password", "nope nope nope"}}.dump());
  auto unknown = call(Method::kPost, "/api/v1/login",
                      json{{"username", "nobody"}, {"password", "nope nope nope"}}.dump());
  EXPECT_EQ(wrong_password.status, 401);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(wrong_password.body, unknown.body);
  EXPECT_EQ(call(Method::kPost, "/api/v1/login", "{not json").status, 400);
}

// Issue 15, item 8: per (address, account) after login_failures_per_address_account failures,
// per address after login_attempts_per_minute attempts; the account's failures slow its answers.
TEST_F(HttpApiDispatch, LoginsAreLimitedPerAddressAndAccountAndPerAddress) {
  const std::string wrong = json{{"username", "root"}, {"password", "wrong"}}.dump();
  std::vector<Response> failures;
  for (int i = 0; i < 5; ++i) failures.push_back(call(Method::kPost, "/api/v1/login", wrong));
  for (const auto& failure : failures) EXPECT_EQ(failure.status, 401);
  EXPECT_EQ(failures[0].delay.count(), 0);
  EXPECT_GT(failures[1].delay.count(), 0);
  EXPECT_EQ(call(Method::kPost, "/api/v1/login",
                 json{{"username", "root"}, {"password", "admin password 1"}}.dump())
                .status,
            429);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(call(Method::kPost, "/api/v1/login",
                   json{{"username", "ghost" + std::to_string(i)}, {"password", "x"}}.dump())
                  .status,
              401);
  EXPECT_EQ(
      call(Method::kPost, "/api/v1/login", json{{"username", "nobody"}, {"password", "x"}}.dump())
          .status,
      429);
}

TEST_F(HttpApiDispatch, CookieChangesNeedTheCsrfTokenReadsDoNot) {
  auto [cookie, csrf] = login("root", "admin password 1");
  EXPECT_EQ(call(Method::kGet, "/api/v1/me", "", {{"cookie", cookie}}).status, 200);
  const std::string token_body = json{{"name", "t"}}.dump();
  EXPECT_EQ(call(Method::kPost, "/api/v1/tokens", token_body, {{"cookie", cookie}}).status, 403);
  EXPECT_EQ(call(Method::kPost, "/api/v1/tokens", token_body,
                 {{"cookie", cookie}, {"x-csrf-token", std::string(64, '0')}})
                .status,
            403);
  EXPECT_EQ(call(Method::kPost, "/api/v1/tokens", token_body,
                 {{"cookie", cookie}, {"x-csrf-token", csrf}})
                .status,
            201);
  auto me = json::parse(call(Method::kGet, "/api/v1/me", "", {{"cookie", cookie}}).body);
  EXPECT_EQ(me["csrf_token"], csrf);
}

TEST_F(HttpApiDispatch, BearerTokensWorkWithoutCsrfUntilRevoked) {
  auto [cookie, csrf] = login("root", "admin password 1");
  auto made = call(Method::kPost, "/api/v1/tokens", json{{"name", "script"}}.dump(),
                   {{"cookie", cookie}, {"x-csrf-token", csrf}});
  ASSERT_EQ(made.status, 201) << made.body;
  auto token = json::parse(made.body);
  const std::string bearer = "Bearer " + token["token"].get<std::string>();
  EXPECT_EQ(call(Method::kGet, "/api/v1/accounts", "", {{"authorization", bearer}}).status, 200);
  auto second = call(Method::kPost, "/api/v1/tokens", json{{"name", "two"}}.dump(),
                     {{"authorization", bearer}});
  EXPECT_EQ(second.status, 201);
  auto id = std::to_string(token["id"].get<int64_t>());
  EXPECT_EQ(call(Method::kDelete, "/api/v1/tokens/" + id, "", {{"authorization", bearer}}).status,
            204);
  EXPECT_EQ(call(Method::kGet, "/api/v1/accounts", "", {{"authorization", bearer}}).status, 401);
  EXPECT_EQ(call(Method::kGet, "/api/v1/accounts", "",
                 {{"authorization", "Bearer pwt_" + std::string(64, 'a')}})
                .status,
            401);
}

TEST_F(HttpApiDispatch, DomainAccountsGet403OnAdminRoutesAndStrangers401) {
  EXPECT_EQ(call(Method::kGet, "/api/v1/accounts").status, 401);
  EXPECT_EQ(call(Method::kGet, "/api/v1/me").status, 401);
  auto [cookie, csrf] = login("ops@other.test", "domain password 1");
  auto me = json::parse(call(Method::kGet, "/api/v1/me", "", {{"cookie", cookie}}).body);
  EXPECT_EQ(me["role"], "domain");
  EXPECT_EQ(me["domain"], "other.test");
  EXPECT_EQ(call(Method::kGet, "/api/v1/accounts", "", {{"cookie", cookie}}).status, 403);
  // Another account's password: 403 from the service; its own: allowed.
  EXPECT_EQ(call(Method::kPut, "/api/v1/accounts/root/password",
                 json{{"password", "a new password 2"}}.dump(),
                 {{"cookie", cookie}, {"x-csrf-token", csrf}})
                .status,
            403);
  EXPECT_EQ(call(Method::kPut, "/api/v1/accounts/ops%40other.test/password",
                 json{{"password", "a new password 2"}}.dump(),
                 {{"cookie", cookie}, {"x-csrf-token", csrf}})
                .status,
            204);
}

TEST_F(HttpApiDispatch, LogoutEndsTheSession) {
  auto [cookie, csrf] = login("root", "admin password 1");
  auto out =
      call(Method::kPost, "/api/v1/logout", "", {{"cookie", cookie}, {"x-csrf-token", csrf}});
  EXPECT_EQ(out.status, 204);
  EXPECT_EQ(call(Method::kGet, "/api/v1/me", "", {{"cookie", cookie}}).status, 401);
}

TEST_F(HttpApiDispatch, UnknownRoutesAre404AndWrongMethods405) {
  EXPECT_EQ(call(Method::kGet, "/api/v1/nothing-here").status, 404);
  EXPECT_EQ(call(Method::kDelete, "/api/v1/login").status, 405);
}

TEST_F(HttpApiDispatch, AccountRulesLiveInTheService) {
  auto [cookie, csrf] = login("root", "admin password 1");
  std::map<std::string, std::string> h = {{"cookie", cookie}, {"x-csrf-token", csrf}};
  auto add = [&](json body) { return call(Method::kPost, "/api/v1/accounts", body.dump(), h); };
  EXPECT_EQ(add({{"username", "x@nowhere.test"},
                 {"password", "long enough pw 1"},
                 {"role", "domain"},
                 {"domain", "nowhere.test"}})
                .status,
            404);
  EXPECT_EQ(add({{"username", "x"}, {"password", "long enough pw 1"}, {"role", "domain"}}).status,
            400);
  EXPECT_EQ(add({{"username", "x"}, {"password", "long enough pw 1"}, {"role", "king"}}).status,
            400);
  EXPECT_EQ(add({{"username", "x"}, {"password", "short"}}).status, 400);
  EXPECT_EQ(add({{"username", "bad name!"}, {"password", "long enough pw 1"}}).status, 400);
  auto made = add({{"username", "Second"}, {"password", "long enough pw 1"}});
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(json::parse(made.body)["username"], "second");
  EXPECT_EQ(add({{"username", "second"}, {"password", "long enough pw 1"}}).status, 409);
  EXPECT_EQ(call(Method::kDelete, "/api/v1/accounts/second", "", h).status, 204);
  EXPECT_EQ(call(Method::kDelete, "/api/v1/accounts/second", "", h).status, 404);
  EXPECT_EQ(call(Method::kDelete, "/api/v1/accounts/root", "", h).status, 409);  // the last admin
}

}  // namespace
}  // namespace pw::api
