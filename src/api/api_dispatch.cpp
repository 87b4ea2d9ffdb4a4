// The REST API's front door: route, authenticate, check access and CSRF, run the handler.
// Trust: the request comes from the network.
#include "api/api_dispatch.hpp"

#include <spdlog/spdlog.h>

#include <cctype>
#include <nlohmann/json.hpp>

#include "api/api_context.hpp"
#include "api/api_response.hpp"
#include "http/request_target.hpp"
#include "http/session_store.hpp"
#include "service/account_service.hpp"
#include "util/ascii_text.hpp"

namespace pw::api {
namespace {

using http::constant_time_equal;
using http::cookie_value;
using http::Method;
using http::Request;
using http::Response;

std::string_view header(const Request& request, const std::string& name) {
  auto it = request.headers.find(name);
  return it == request.headers.end() ? std::string_view() : std::string_view(it->second);
}

// The token of "Authorization: Bearer <token>" (scheme case-insensitive, RFC 6750 2.1).
std::optional<std::string> bearer_token(const Request& request) {
  std::string_view value = header(request, "authorization");
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size()) return std::nullopt;
  if (!util::ascii_iequals(value.substr(0, kScheme.size()), kScheme)) return std::nullopt;
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  return std::string(value);
}

// Nobody: a domain role with no domain may see nothing, should a handler ever ask.
service::Actor anonymous() { return service::Actor{service::Role::kDomain, "", ""}; }

}  // namespace

Caller authenticate(ApiContext& context, const Request& request) {
  Caller caller;
  caller.actor = anonymous();
  auto db = context.database();
  if (!db) {
    spdlog::error("event=http_auth_error error=\"{}\"", db.error().message);
    return caller;
  }
  service::AccountService accounts(**db, context.config());
  if (auto token = bearer_token(request)) {
    auto account = accounts.account_for_token(*token);
    if (account && *account) {
      caller.via = Caller::Via::kToken;
      caller.actor = (*account)->actor();
    }
    return caller;  // a bad token is not made good by a cookie
  }
  auto cookie = cookie_value(header(request, "cookie"), kSessionCookie);
  if (!cookie) return caller;
  auto session = context.sessions().find(*cookie);
  if (!session) return caller;
  auto account = accounts.find(session->username);
  if (!account || !*account) {
    context.sessions().remove(session->id);
    return caller;
  }
  caller.via = Caller::Via::kSession;
  caller.actor = (*account)->actor();
  caller.session_id = session->id;
  caller.csrf_token = session->csrf_token;
  return caller;
}

bool csrf_ok(const Caller& caller, const Request& request) {
  if (caller.via != Caller::Via::kSession || request.method == Method::kGet) return true;
  std::string_view sent = header(request, std::string(kCsrfHeader));
  return !sent.empty() && constant_time_equal(sent, caller.csrf_token);
}

Response dispatch_api(const RouteTable& table, ApiContext& context, std::string_view raw_path,
                      Request request) {
  bool method_mismatch = false;
  auto match = table.match(request.method, raw_path, &method_mismatch);
  if (!match) {
    if (method_mismatch) return error_response(405, "method not allowed on " + request.path);
    return error_response(404, "no API route " + request.path);
  }
  const Route& route = *match->route;
  Caller caller = authenticate(context, request);
  if (route.access != Access::kAnyone) {
    if (caller.via == Caller::Via::kNone) return error_response(401, "not logged in");
    if (route.access == Access::kAdminOnly && !caller.actor.is_admin())
      return error_response(403, "only an administrator of the node may do this");
    if (!csrf_ok(caller, request))
      return error_response(403, "missing or wrong X-CSRF-Token header");
  }
  request.path_params = std::move(match->path_params);
  try {
    return route.handler(context, caller.actor, request);
  } catch (const nlohmann::json::exception& e) {
    return error_response(400, std::string("invalid request: ") + e.what());
  } catch (const std::exception& e) {
    spdlog::error("event=http_handler_error route=\"{} {}\" error=\"{}\"", to_string(route.method),
                  route.pattern, e.what());
    return error_response(500, "internal error");
  }
}

}  // namespace pw::api
