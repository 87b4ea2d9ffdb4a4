// The identities area of the REST API (docs/API.md "Identities"): the identities of the outgoing
// users with their lock state and 24-hour counters, and their locks and unlocks. The rules are
// the service's (service/identity_service); this file maps JSON to its calls and back.
// Trust: bodies and queries come from logged-in panel users; see api/tenant_json.
#include "api/api_context.hpp"
#include "api/api_response.hpp"
#include "api/api_routes.hpp"
#include "api/tenant_json.hpp"
#include "service/identity_service.hpp"

namespace pw::api {
namespace {

using http::Method;
using nlohmann::json;

const json kIdentityExample = {{"user", "10.0.0.0/24"},
                               {"identity", "shop@example.com"},
                               {"domain", "example.com"},
                               {"manual", false},
                               {"locked", true},
                               {"lock",
                                {{"since", "2026-11-26T05:00:00Z"},
                                 {"until", nullptr},
                                 {"reason", "spam run"},
                                 {"locked_by", "admin"},
                                 {"unlocks", 0}}},
                               {"automatic_unlocks", 0},
                               {"messages", 120},
                               {"messages_24h", 12},
                               {"spam_24h", 6},
                               {"counters_24h", {{"messages", 12}, {"spam", 6}}},
                               {"created", "2026-11-20T08:00:00Z"},
                               {"last_seen", "2026-11-26T04:59:00Z"}};

http::Response list(ApiContext& ctx, const service::Actor& actor, const http::Request& request) {
  service::IdentityFilter filter;
  filter.domain = query_param(request, "domain").value_or("");
  filter.user = query_param(request, "user").value_or("");
  if (auto locked = query_param(request, "locked")) {
    if (*locked != "true" && *locked != "false")
      return error_response(400, "locked must be true or false");
    filter.locked_only = *locked == "true";
  }
  auto db = database_of(ctx);
  if (!db) return failure_response(db.error());
  auto identities = service::list_identities(**db, actor, filter);
  if (!identities) return failure_response(identities.error());
  json items = json::array();
  for (const auto& view : *identities) items.push_back(identity_json(view));
  return json_response(200, {{"items", items}, {"next_cursor", nullptr}});
}

// {"user","identity"} of a lock or unlock body.
struct Target {
  std::string user;
  std::string identity;
};
service::Outcome<Target> target_of(const json& body) {
  auto user = optional_string(body, "user");
  if (!user) return tl::unexpected(user.error());
  auto identity = optional_string(body, "identity");
  if (!identity) return tl::unexpected(identity.error());
  if (!*user || !*identity) return service::invalid("user and identity are required");
  return Target{**user, **identity};
}

// The identity as listed after the change.
http::Response identity_after(store::Database& db, const service::Actor& actor,
                              const store::User& user, const std::string& identity) {
  service::IdentityFilter filter;
  filter.user = user.name;
  auto identities = service::list_identities(db, actor, filter);
  if (!identities) return failure_response(identities.error());
  for (const auto& view : *identities)
    if (view.identity == identity) return json_response(200, identity_json(view));
  return json_response(200, {{"user", user.name}, {"identity", identity}, {"locked", false}});
}

http::Response lock(ApiContext& ctx, const service::Actor& actor, const http::Request& request) {
  auto body = json_body(request);
  if (!body) return failure_response(body.error());
  auto target = target_of(*body);
  if (!target) return failure_response(target.error());
  auto reason = optional_string(*body, "reason");
  if (!reason) return failure_response(reason.error());
  auto db = database_of(ctx);
  if (!db) return failure_response(db.error());
  auto user = service::lock_identity(**db, actor, target->user, target->identity,
                                     reason->value_or("locked by " + actor.name));
  if (!user) return failure_response(user.error());
  return identity_after(**db, actor, *user, target->identity);
}

http::Response unlock(ApiContext& ctx, const service::Actor& actor, const http::Request& request) {
  auto body = json_body(request);
  if (!body) return failure_response(body.error());
  auto target = target_of(*body);
  if (!target) return failure_response(target.error());
  auto reset = optional_bool(*body, "reset_unlocks", false);
  if (!reset) return failure_response(reset.error());
  auto db = database_of(ctx);
  if (!db) return failure_response(db.error());
  auto user = service::unlock_identity(**db, actor, target->user, target->identity, *reset);
  if (!user) return failure_response(user.error());
  return identity_after(**db, actor, *user, target->identity);
}

}  // namespace

void add_identity_routes(RouteTable& table) {
  table.add(
      {Method::kGet, "/api/v1/identities", Access::kLoggedIn, list,
       RouteDoc{"identities",
                "List identities with lock state and 24-hour counters (a domain admin sees its "
                "domain's)",
                json::array(
                    {{{"name", "user"}, {"description", "only this user"}, {"type", "string"}},
                     {{"name", "domain"}, {"description", "only this domain"}, {"type", "string"}},
                     {{"name", "locked"},
                      {"description", "true: only locked ones"},
                      {"type", "boolean"}}}),
                nullptr,
                {{"items", json::array({kIdentityExample})}, {"next_cursor", nullptr}}}});
  table.add(
      {Method::kPost, "/api/v1/identities/lock", Access::kLoggedIn, lock,
       RouteDoc{"identities",
                "Lock an identity of a user",
                json::array(),
                {{"user", "10.0.0.0/24"}, {"identity", "shop@example.com"}, {"reason", "spam run"}},
                kIdentityExample}});
  table.add(
      {Method::kPost, "/api/v1/identities/unlock", Access::kLoggedIn, unlock,
       RouteDoc{
           "identities",
           "Unlock an identity of a user",
           json::array(),
           {{"user", "10.0.0.0/24"}, {"identity", "shop@example.com"}, {"reset_unlocks", false}},
           kIdentityExample}});
}

}  // namespace pw::api
