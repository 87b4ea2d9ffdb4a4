// The REST API's front door (F-PANEL), without sockets: finds the route, authenticates the
// caller (API token or login session), enforces the route's access level and the CSRF rule, and
// runs the handler. Blocking (database, password checks): runs on the worker pool.
// Trust: the request comes from the network; only the route table's handlers see it after this.
#pragma once
#include <optional>
#include <string>

#include "api/route_table.hpp"
#include "http/message.hpp"
#include "service/actor.hpp"

namespace pw::api {

class ApiContext;

constexpr std::string_view kSessionCookie = "pw_session";
constexpr std::string_view kCsrfHeader = "x-csrf-token";

// Who the request speaks for, and how it proved it.
struct Caller {
  enum class Via { kNone, kSession, kToken };
  Via via = Via::kNone;
  service::Actor actor;
  std::string session_id;  // kSession only
  std::string csrf_token;  // kSession only
};

// Blocking: the caller of `request` by its Authorization: Bearer token or its pw_session cookie
// (an account removed since no longer counts); Via::kNone when neither names a live account.
Caller authenticate(ApiContext& context, const http::Request& request);

// A cookie-authenticated request that changes something must carry the session's CSRF token.
bool csrf_ok(const Caller& caller, const http::Request& request);

// Blocking: the answer to an /api/... request. `raw_path` is still percent-encoded.
http::Response dispatch_api(const RouteTable& table, ApiContext& context, std::string_view raw_path,
                            http::Request request);

}  // namespace pw::api
