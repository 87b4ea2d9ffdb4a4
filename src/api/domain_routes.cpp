// The domains area of the REST API (docs/API.md "Domains"): list, add, read, change and remove
// domains, and their aliases. Every rule (who may change what, valid values) is the service's
// (service/domain_service); this file maps JSON to its calls and back.
// Trust: bodies and path segments come from logged-in panel users; see api/tenant_json.
#include "api/api_context.hpp"
#include "api/api_response.hpp"
#include "api/api_routes.hpp"
#include "api/tenant_json.hpp"
#include "service/domain_service.hpp"

namespace pw::api {
namespace {

using http::Method;
using nlohmann::json;

const json kDomainExample = {{"name", "example.com"},   {"admin_contact", "postmaster@example.com"},
                             {"dkim_selector", "mail"}, {"aliases", {"example.net"}},
                             {"route", nullptr},        {"spam_threshold", nullptr},
                             {"batv", false},           {"created", "2026-11-26T05:00:00Z"},
                             {"user_count", 3}};

http::Response list(ApiContext& ctx, const service::Actor& actor, const http::Request&) {
  auto db = database_of(ctx);
  if (!db) return failure_response(db.error());
  auto domains = service::list_domains(**db, actor);
  if (!domains) return failure_response(domains.error());
  json items = json::array();
  for (const auto& view : *domains) items.push_back(domain_json(view));
  return json_response(200, {{"items", items}, {"next_cursor", nullptr}});
}

http::Response add(ApiContext& ctx, const service::Actor& actor, const http::Request& request) {
  auto body = json_body(request);
  if (!body) return failure_response(body.error());
  auto name = optional_string(*body, "name");
  auto contact = optional_string(*body, "admin_contact");
  auto selector = optional_string(*body, "dkim_selector");
  if (!name) return failure_response(name.error());
  if (!contact) return failure_response(contact.error());
  if (!selector) return failure_response(selector.error());
  if (!*name) return error_response(400, "name is required");
  auto db = database_of(ctx);
  if (!db) return failure_response(db.error());
  auto added =
      service::add_domain(**db, actor, **name, contact->value_or(""), selector->value_or(""));
  if (!added) return failure_response(added.error());
  auto view = service::get_domain(**db, actor, added->name);
  if (!view) return failure_response(view.error());
  return json_response(201, domain_json(*view));
}

http::Response get(ApiContext& ctx, const service::Actor& actor, const http::Request& request) {
  auto db = database_of(ctx);
  if (!db) return failure_response(db.error());
  auto view = service::get_domain(**db, actor, path_param(request, "domain"));
  if (!view) return failure_response(view.error());
  return json_response(200, domain_json(*view));
}

http::Response patch(ApiContext& ctx, const service::Actor& actor, const http::Request& request) {
  auto body = json_body(request);
  if (!body) return failure_response(body.error());
  service::DomainChange change;
  for (const auto& [key, value] : body->items()) {
    if (key != "admin_contact" && key != "dkim_selector" && key != "route" &&
        key != "spam_threshold" && key != "batv")
      return error_response(400, "unknown field " + key +
                                     "; valid fields: admin_contact, dkim_selector, route, "
                                     "spam_threshold, batv");
    if (key == "batv") {
      if (!value.is_boolean() && !value.is_string())
        return error_response(400, "batv must be true or false");
      change.batv =
          value.is_boolean() ? (value.get<bool>() ? "on" : "off") : value.get<std::string>();
      continue;
    }
    auto text = setting_text(key, value);
    if (!text) return failure_response(text.error());
    if (key == "admin_contact") change.admin_contact = *text;
    if (key == "dkim_selector") change.dkim_selector = *text;
    if (key == "route") change.route = *text;
    if (key == "spam_threshold") change.spam_threshold = *text;
  }
  if (change.empty()) return error_response(400, "nothing to change");
  auto db = database_of(ctx);
  if (!db) return failure_response(db.error());
  auto domain = path_param(request, "domain");
  auto updated =
      service::change_domain(**db, actor, domain, change, ctx.config().batv.tag_lifetime_days);
  if (!updated) return failure_response(updated.error());
  auto view = service::get_domain(**db, actor, updated->name);
  if (!view) return failure_response(view.error());
  return json_response(200, domain_json(*view));
}

http::Response remove(ApiContext& ctx, const service::Actor& actor, const http::Request& request) {
  auto force = query_param(request, "force");
  auto db = database_of(ctx);
  if (!db) return failure_response(db.error());
  auto removed = service::remove_domain(**db, actor, path_param(request, "domain"),
                                        force && (*force == "true" || *force == "1"));
  if (!removed) return failure_response(removed.error());
  return json_response(200,
                       {{"removed", removed->name}, {"users_removed", removed->users_removed}});
}

http::Response add_alias(ApiContext& ctx, const service::Actor& actor,
                         const http::Request& request) {
  auto body = json_body(request);
  if (!body) return failure_response(body.error());
  auto alias = optional_string(*body, "alias");
  if (!alias) return failure_response(alias.error());
  if (!*alias) return error_response(400, "alias is required");
  service::DomainChange change;
  change.add_aliases = {**alias};
  auto db = database_of(ctx);
  if (!db) return failure_response(db.error());
  auto updated = service::change_domain(**db, actor, path_param(request, "domain"), change, 0);
  if (!updated) return failure_response(updated.error());
  auto view = service::get_domain(**db, actor, updated->name);
  if (!view) return failure_response(view.error());
  return json_response(201, domain_json(*view));
}

http::Response remove_alias(ApiContext& ctx, const service::Actor& actor,
                            const http::Request& request) {
  service::DomainChange change;
  change.remove_aliases = {path_param(request, "alias")};
  auto db = database_of(ctx);
  if (!db) return failure_response(db.error());
  auto updated = service::change_domain(**db, actor, path_param(request, "domain"), change, 0);
  if (!updated) return failure_response(updated.error());
  auto view = service::get_domain(**db, actor, updated->name);
  if (!view) return failure_response(view.error());
  return json_response(200, domain_json(*view));
}

}  // namespace

void add_domain_routes(RouteTable& table) {
  table.add({Method::kGet, "/api/v1/domains", Access::kLoggedIn, list,
             RouteDoc{"domains",
                      "List the domains (a domain admin sees its own)",
                      json::array(),
                      nullptr,
                      {{"items", json::array({kDomainExample})}, {"next_cursor", nullptr}}}});
  table.add({Method::kPost, "/api/v1/domains", Access::kAdminOnly, add,
             RouteDoc{"domains",
                      "Add a domain (admin)",
                      json::array(),
                      {{"name", "example.com"},
                       {"admin_contact", "postmaster@example.com"},
                       {"dkim_selector", "mail"}},
                      kDomainExample}});
  table.add({Method::kGet, "/api/v1/domains/{domain}", Access::kLoggedIn, get,
             RouteDoc{"domains", "One domain with its aliases, route, spam threshold and BATV",
                      json::array(), nullptr, kDomainExample}});
  table.add({Method::kPatch, "/api/v1/domains/{domain}", Access::kLoggedIn, patch,
             RouteDoc{"domains",
                      "Change a domain (route and batv: admin only; \"\" or null clears)",
                      json::array(),
                      {{"admin_contact", "abuse@example.com"}, {"spam_threshold", 8}},
                      kDomainExample}});
  table.add({Method::kDelete, "/api/v1/domains/{domain}", Access::kAdminOnly, remove,
             RouteDoc{"domains",
                      "Remove a domain (admin; refused while it has users)",
                      json::array({{{"name", "force"},
                                    {"description", "true: also remove the domain's users"},
                                    {"type", "boolean"}}}),
                      nullptr,
                      {{"removed", "example.com"}, {"users_removed", 0}}}});
  table.add({Method::kPost, "/api/v1/domains/{domain}/aliases", Access::kAdminOnly, add_alias,
             RouteDoc{"domains",
                      "Add an alias domain (admin)",
                      json::array(),
                      {{"alias", "example.net"}},
                      kDomainExample}});
  table.add({Method::kDelete, "/api/v1/domains/{domain}/aliases/{alias}", Access::kAdminOnly,
             remove_alias,
             RouteDoc{"domains", "Remove an alias domain (admin)", json::array(), nullptr,
                      kDomainExample}});
}

}  // namespace pw::api
