// The DKIM key routes (F-DKIM, F-PANEL): keys with the DNS record to publish (name, value and
// the zone file line `dkim keygen|show` prints), make, show and remove. A domain admin manages
// its own domain's keys; the service decides.
#include "api/api_routes.hpp"
#include "api/route_support.hpp"
#include "service/dkim_service.hpp"

namespace pw::api {
namespace {

std::string param(const http::Request& request, const std::string& name) {
  auto it = request.path_params.find(name);
  return it == request.path_params.end() ? std::string() : it->second;
}

http::Response list(ApiContext& context, const service::Actor& actor,
                    const http::Request& request) {
  auto db = database_of(context);
  if (!db) return failure_response(db.error());
  return answer(
      service::list_dkim_keys(actor, *db, context.data_dir(), query_param(request, "domain")),
      [](const std::vector<dkim::KeyInfo>& keys) {
        nlohmann::json items = nlohmann::json::array();
        for (const auto& key : keys) items.push_back(service::dkim_key_json(key));
        return nlohmann::json{{"items", items}};
      });
}

http::Response create(ApiContext& context, const service::Actor& actor,
                      const http::Request& request) {
  auto db = database_of(context);
  if (!db) return failure_response(db.error());
  auto body = json_body(request);
  if (!body) return failure_response(body.error());
  service::DkimKeyRequest key;
  try {
    key.domain = body->value("domain", "");
    key.selector = body->value("selector", "");
    key.algorithm = body->value("algorithm", "");
    key.bits = body->value("bits", 0);
    key.force = body->value("force", false);
  } catch (const nlohmann::json::exception&) {
    return error_response(400,
                          "domain, selector, algorithm are strings, bits a number, force "
                          "true or false");
  }
  if (key.domain.empty()) return error_response(400, "domain is required");
  return answer(service::generate_dkim_key(actor, *db, context.data_dir(), context.config(), key),
                service::dkim_key_json, 201);
}

http::Response show(ApiContext& context, const service::Actor& actor,
                    const http::Request& request) {
  auto db = database_of(context);
  if (!db) return failure_response(db.error());
  return answer(service::show_dkim_key(actor, *db, context.data_dir(), param(request, "domain"),
                                       param(request, "selector")),
                service::dkim_key_json);
}

http::Response remove(ApiContext& context, const service::Actor& actor,
                      const http::Request& request) {
  auto db = database_of(context);
  if (!db) return failure_response(db.error());
  auto removed = service::remove_dkim_key(actor, *db, context.data_dir(), param(request, "domain"),
                                          param(request, "selector"));
  if (!removed) return failure_response(removed.error());
  return no_content();
}

}  // namespace

void add_dkim_routes(RouteTable& table) {
  nlohmann::json key = {
      {"domain", "example.com"},
      {"selector", "s2026"},
      {"algorithm", "ed25519"},
      {"signing_algorithm", "ed25519-sha256"},
      {"bits", 256},
      {"created", "2026-11-26T05:00:00Z"},
      {"dns_name", "s2026._domainkey.example.com"},
      {"dns_value", "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="},
      {"zone_line",
       "s2026._domainkey.example.com. IN TXT \"v=DKIM1; k=ed25519; "
       "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\""}};
  table.add({http::Method::kGet, "/api/v1/dkim", Access::kLoggedIn, list,
             RouteDoc{"dkim",
                      "DKIM keys with the DNS record to publish",
                      nlohmann::json::array({{{"name", "domain"},
                                              {"description", "only this domain's keys"},
                                              {"type", "string"}}}),
                      nullptr,
                      {{"items", nlohmann::json::array({key})}}}});
  table.add({http::Method::kPost, "/api/v1/dkim", Access::kLoggedIn, create,
             RouteDoc{"dkim",
                      "Make a key (an existing selector only with force)",
                      nlohmann::json::array(),
                      {{"domain", "example.com"},
                       {"selector", "s2026"},
                       {"algorithm", "ed25519"},
                       {"force", false}},
                      key}});
  table.add(
      {http::Method::kGet, "/api/v1/dkim/{domain}/{selector}", Access::kLoggedIn, show,
       RouteDoc{"dkim", "One key and its DNS record", nlohmann::json::array(), nullptr, key}});
  table.add({http::Method::kDelete, "/api/v1/dkim/{domain}/{selector}", Access::kLoggedIn, remove,
             RouteDoc{"dkim", "Remove a key: its users' mail goes out unsigned",
                      nlohmann::json::array(), nullptr, nullptr}});
}

}  // namespace pw::api
