// Login, logout, the caller's own account, API tokens, panel accounts and the OpenAPI document
// (F-PANEL; docs/API.md "Authentication and roles").
// Trust: bodies come from the network; the account service checks every value.

#include "api/api_context.hpp"
#include "api/api_dispatch.hpp"
#include "api/api_response.hpp"
#include "api/api_routes.hpp"
#include "api/openapi.hpp"
#include "api/route_support.hpp"
#include "http/login_limiter.hpp"
#include "http/request_target.hpp"
#include "http/session_store.hpp"
#include "service/account_service.hpp"
#include "service/paging.hpp"

namespace pw::api {
namespace {

using nlohmann::json;
using service::AccountService;
using service::iso_time;

constexpr std::string_view kCookieAttributes = "; HttpOnly; Secure; SameSite=Strict; Path=/";

json account_json(const service::Account& account) {
  return {{"username", account.username},
          {"role", service::to_string(account.role)},
          {"domain", account.domain.empty() ? json(nullptr) : json(account.domain)},
          {"created", iso_time(account.created_at)}};
}

json token_json(const service::ApiToken& token) {
  return {{"id", token.id},
          {"name", token.name},
          {"created", iso_time(token.created_at)},
          {"last_used", token.last_used_at ? json(iso_time(*token.last_used_at)) : json(nullptr)}};
}

// A string member of the body; a failure naming it when it is missing or not a string.
service::Outcome<std::string> string_field(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_string())
    return service::invalid(std::string("\"") + name + "\" must be a string");
  return it->get<std::string>();
}

std::optional<std::string> session_cookie(const http::Request& request) {
  auto it = request.headers.find("cookie");
  if (it == request.headers.end()) return std::nullopt;
  return http::cookie_value(it->second, kSessionCookie);
}

// The answer of login and /me: the account, and the CSRF token of the session it speaks for.
json me_json(const service::Account& account, const std::optional<std::string>& csrf) {
  return {{"username", account.username},
          {"role", service::to_string(account.role)},
          {"domain", account.domain.empty() ? json(nullptr) : json(account.domain)},
          {"csrf_token", csrf ? json(*csrf) : json(nullptr)}};
}

#define PW_DATABASE(ctx)                                                 \
  auto db_result = (ctx).database();                                     \
  if (!db_result) return error_response(500, db_result.error().message); \
  AccountService accounts(**db_result, (ctx).config())

http::Response login(ApiContext& ctx, const service::Actor&, const http::Request& request) {
  auto body = json_body(request);
  if (!body) return failure_response(body.error());
  auto username = string_field(*body, "username");
  if (!username) return failure_response(username.error());
  auto password = string_field(*body, "password");
  if (!password) return failure_response(password.error());
  auto canonical = service::canonical_account_name(*username);
  const std::string limiter_name = canonical ? *canonical : std::string("?invalid");
  auto& limiter = ctx.login_limiter();
  auto admission = limiter.admit(request.client_ip, limiter_name);
  if (!admission.allowed)
    return error_response(429, "too many login attempts from this address; wait a while");
  PW_DATABASE(ctx);
  auto account = accounts.verify(*username, *password);
  if (!account) return failure_response(account.error());
  if (!*account) {
    limiter.record_failure(request.client_ip, limiter_name);
    auto refused = error_response(401, "bad user name or password");
    refused.delay = admission.delay;
    return refused;
  }
  limiter.record_success(request.client_ip, limiter_name);
  auto session = ctx.sessions().create((*account)->username);
  auto response = json_response(200, me_json(**account, session.csrf_token));
  response.headers.emplace_back("Set-Cookie", std::string(kSessionCookie) + "=" + session.id +
                                                  std::string(kCookieAttributes));
  response.delay = admission.delay;
  return response;
}

http::Response logout(ApiContext& ctx, const service::Actor&, const http::Request& request) {
  if (auto id = session_cookie(request)) ctx.sessions().remove(*id);
  http::Response response = no_content();
  response.headers.emplace_back("Set-Cookie", std::string(kSessionCookie) + "=" +
                                                  std::string(kCookieAttributes) + "; Max-Age=0");
  return response;
}

http::Response me(ApiContext& ctx, const service::Actor& actor, const http::Request& request) {
  PW_DATABASE(ctx);
  auto account = accounts.find(actor.name);
  if (!account) return failure_response(account.error());
  if (!*account) return error_response(401, "not logged in");
  std::optional<std::string> csrf;
  if (auto id = session_cookie(request))
    if (auto session = ctx.sessions().find(*id)) csrf = session->csrf_token;
  return json_response(200, me_json(**account, csrf));
}

http::Response create_token(ApiContext& ctx, const service::Actor& actor,
                            const http::Request& request) {
  auto body = json_body(request);
  if (!body) return failure_response(body.error());
  auto name = string_field(*body, "name");
  if (!name) return failure_response(name.error());
  PW_DATABASE(ctx);
  auto made = accounts.create_token(actor, *name);
  if (!made) return failure_response(made.error());
  return json_response(201, {{"id", made->token.id},
                             {"name", made->token.name},
                             {"token", made->secret},
                             {"created", iso_time(made->token.created_at)}});
}

http::Response list_tokens(ApiContext& ctx, const service::Actor& actor, const http::Request&) {
  PW_DATABASE(ctx);
  auto tokens = accounts.list_tokens(actor);
  if (!tokens) return failure_response(tokens.error());
  json items = json::array();
  for (const auto& token : *tokens) items.push_back(token_json(token));
  return json_response(200, {{"items", items}, {"next_cursor", nullptr}});
}

http::Response revoke_token(ApiContext& ctx, const service::Actor& actor,
                            const http::Request& request) {
  const std::string& text = request.path_params.at("id");
  int64_t id = 0;
  bool digits = !text.empty() && text.size() <= 18;
  for (char c : text) digits = digits && c >= '0' && c <= '9';
  if (!digits) return error_response(404, "no token " + text);
  id = std::stoll(text);
  PW_DATABASE(ctx);
  auto revoked = accounts.revoke_token(actor, id);
  if (!revoked) return failure_response(revoked.error());
  return no_content();
}

http::Response list_accounts(ApiContext& ctx, const service::Actor& actor, const http::Request&) {
  PW_DATABASE(ctx);
  auto list = accounts.list(actor);
  if (!list) return failure_response(list.error());
  json items = json::array();
  for (const auto& account : *list) items.push_back(account_json(account));
  return json_response(200, {{"items", items}, {"next_cursor", nullptr}});
}

http::Response add_account(ApiContext& ctx, const service::Actor& actor,
                           const http::Request& request) {
  auto body = json_body(request);
  if (!body) return failure_response(body.error());
  auto username = string_field(*body, "username");
  if (!username) return failure_response(username.error());
  auto password = string_field(*body, "password");
  if (!password) return failure_response(password.error());
  std::string role_text = "admin";
  if (body->contains("role")) {
    auto role_field = string_field(*body, "role");
    if (!role_field) return failure_response(role_field.error());
    role_text = *role_field;
  }
  auto role = service::parse_role(role_text);
  if (!role) return failure_response(role.error());
  std::string domain;
  if (body->contains("domain") && !(*body)["domain"].is_null()) {
    auto domain_field = string_field(*body, "domain");
    if (!domain_field) return failure_response(domain_field.error());
    domain = *domain_field;
  }
  PW_DATABASE(ctx);
  auto added = accounts.add(actor, *username, *role, domain, *password);
  if (!added) return failure_response(added.error());
  return json_response(201, account_json(*added));
}

http::Response remove_account(ApiContext& ctx, const service::Actor& actor,
                              const http::Request& request) {
  const std::string& username = request.path_params.at("username");
  PW_DATABASE(ctx);
  auto removed = accounts.remove(actor, username);
  if (!removed) return failure_response(removed.error());
  if (auto name = service::canonical_account_name(username)) ctx.sessions().remove_account(*name);
  return no_content();
}

http::Response set_account_password(ApiContext& ctx, const service::Actor& actor,
                                    const http::Request& request) {
  const std::string& username = request.path_params.at("username");
  auto body = json_body(request);
  if (!body) return failure_response(body.error());
  auto password = string_field(*body, "password");
  if (!password) return failure_response(password.error());
  PW_DATABASE(ctx);
  auto changed = accounts.set_password(actor, username, *password);
  if (!changed) return failure_response(changed.error());
  // Other logins of the account end; the one that made the change goes on.
  auto name = service::canonical_account_name(username);
  auto own = session_cookie(request);
  if (name) ctx.sessions().remove_account(*name, own && actor.name == *name ? *own : "");
  return no_content();
}

http::Response openapi(ApiContext&, const service::Actor&, const http::Request&) {
  static const std::string document = openapi_document(all_routes()).dump();
  http::Response response;
  response.body = document;
  return response;
}

#undef PW_DATABASE

// Log in and out, the session's account, API tokens.
void add_session_routes(RouteTable& table) {
  const json me_example = {{"username", "admin"},
                           {"role", "admin"},
                           {"domain", nullptr},
                           {"csrf_token", "3f1c...64 hex digits"}};
  table.add({http::Method::kPost, "/api/v1/login", Access::kAnyone, login,
             RouteDoc{"auth",
                      "Log in: sets the pw_session cookie and returns the CSRF token",
                      json::array(),
                      {{"username", "admin"}, {"password", "correct horse battery"}},
                      me_example}});
  table.add({http::Method::kPost, "/api/v1/logout", Access::kLoggedIn, logout,
             RouteDoc{"auth", "Log out: ends the session and clears the cookie", json::array(),
                      nullptr, nullptr}});
  table.add({http::Method::kGet, "/api/v1/me", Access::kLoggedIn, me,
             RouteDoc{"auth", "The logged-in account and its session's CSRF token", json::array(),
                      nullptr, me_example}});
  table.add({http::Method::kPost, "/api/v1/tokens", Access::kLoggedIn, create_token,
             RouteDoc{"auth",
                      "Make an API token for scripts (Authorization: Bearer); shown once",
                      json::array(),
                      {{"name", "backup script"}},
                      {{"id", 1},
                       {"name", "backup script"},
                       {"token", "pwt_...64 hex digits"},
                       {"created", "2026-11-26T05:00:00Z"}}}});
  table.add({http::Method::kGet, "/api/v1/tokens", Access::kLoggedIn, list_tokens,
             RouteDoc{"auth",
                      "The caller's API tokens (never their secrets)",
                      json::array(),
                      nullptr,
                      {{"items", json::array({{{"id", 1},
                                               {"name", "backup script"},
                                               {"created", "2026-11-26T05:00:00Z"},
                                               {"last_used", nullptr}}})},
                       {"next_cursor", nullptr}}}});
  table.add(
      {http::Method::kDelete, "/api/v1/tokens/{id}", Access::kLoggedIn, revoke_token,
       RouteDoc{"auth", "Revoke one of the caller's API tokens", json::array(), nullptr, nullptr}});
}

// Panel accounts and their passwords; the OpenAPI document.
void add_account_routes(RouteTable& table) {
  const json account_example = {{"username", "ops@example.com"},
                                {"role", "domain"},
                                {"domain", "example.com"},
                                {"created", "2026-11-26T05:00:00Z"}};
  table.add({http::Method::kGet, "/api/v1/accounts", Access::kAdminOnly, list_accounts,
             RouteDoc{"auth",
                      "Panel accounts",
                      json::array(),
                      nullptr,
                      {{"items", json::array({account_example})}, {"next_cursor", nullptr}}}});
  table.add({http::Method::kPost, "/api/v1/accounts", Access::kAdminOnly, add_account,
             RouteDoc{"auth",
                      "Add a panel account: an admin, or a domain admin of one domain",
                      json::array(),
                      {{"username", "ops@example.com"},
                       {"password", "a long passphrase"},
                       {"role", "domain"},
                       {"domain", "example.com"}},
                      account_example}});
  table.add({http::Method::kDelete, "/api/v1/accounts/{username}", Access::kAdminOnly,
             remove_account,
             RouteDoc{"auth", "Remove a panel account (not the last admin)", json::array(), nullptr,
                      nullptr}});
  table.add({http::Method::kPut, "/api/v1/accounts/{username}/password", Access::kLoggedIn,
             set_account_password,
             RouteDoc{"auth",
                      "Set an account's password (an admin: any account; others: their own)",
                      json::array(),
                      {{"password", "a new long passphrase"}},
                      nullptr}});
  table.add({http::Method::kGet, "/api/v1/openapi.json", Access::kAnyone, openapi,
             RouteDoc{"meta",
                      "This API's OpenAPI 3.0.3 document",
                      json::array(),
                      nullptr,
                      {{"openapi", "3.0.3"}, {"paths", json::object()}}}});
}

}  // namespace

void add_auth_routes(RouteTable& table) {
  add_session_routes(table);
  add_account_routes(table);
}

}  // namespace pw::api
