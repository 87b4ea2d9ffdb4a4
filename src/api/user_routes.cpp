// The outgoing users area of the REST API (docs/API.md "Outgoing users"): the settings registry
// for the Add & configure form, list, add (all or nothing, password generated and returned once),
// read with lock and counters, change, remove, lock, unlock and counter reset. The rules are the
// service's (service/user_service); this file maps JSON to its calls and back.
// Trust: bodies, queries and path segments come from logged-in panel users; see api/tenant_json.
// A password is never put in an answer, except a generated one, once.
#include "api/api_context.hpp"
#include "api/api_response.hpp"
#include "api/api_routes.hpp"
#include "api/tenant_json.hpp"
#include "policy/user_settings.hpp"
#include "service/user_service.hpp"

namespace pw::api {
namespace {

using http::Method;
using nlohmann::json;

const json kUserExample = {{"name", "alice@example.com"},
                           {"kind", "user"},
                           {"domain", "example.com"},
                           {"has_password", true},
                           {"locked", false},
                           {"created", "2026-11-26T05:00:00Z"},
                           {"updated", "2026-11-26T05:00:00Z"}};

json user_detail_example() {
  json detail = kUserExample;
  detail["settings"] = {{"messages_per_hour", "100"}};
  detail["settings_detail"] = json::array({{{"key", "messages_per_hour"},
                                            {"value", "100"},
                                            {"default", "0"},
                                            {"is_default", false},
                                            {"unit", "messages"},
                                            {"help", "..."}}});
  detail["lock"] = nullptr;
  detail["automatic_unlocks"] = 0;
  detail["counters"] = {{"last_hour", {{"messages", 3}}}, {"last_24h", {{"messages", 40}}}};
  return detail;
}

std::string_view type_name(policy::SettingType type) {
  switch (type) {
    case policy::SettingType::kBool:
      return "bool";
    case policy::SettingType::kInt:
      return "int";
    case policy::SettingType::kChoice:
      return "choice";
    case policy::SettingType::kDomain:
      return "domain";
    case policy::SettingType::kText:
      return "text";
    case policy::SettingType::kIdentityRules:
      return "identity_rules";
  }
  return "text";
}

json setting_def_json(const policy::UserSettingDef& def) {
  json choices = json::array();
  for (std::string_view rest = def.choices; !rest.empty();) {
    auto bar = rest.find('|');
    choices.push_back(std::string(rest.substr(0, bar)));
    if (bar == std::string_view::npos) break;
    rest.remove_prefix(bar + 1);
  }
  json kinds = json::array();
  for (auto kind : service::setting_kinds(def.key)) kinds.push_back(mail::to_string(kind));
  const bool is_int = def.type == policy::SettingType::kInt;
  return {{"key", def.key},
          {"type", type_name(def.type)},
          {"default", def.default_value},
          {"min", is_int ? json(def.min) : json(nullptr)},
          {"max", is_int ? json(def.max) : json(nullptr)},
          {"choices", choices},
          {"unit", def.unit},
          {"help", def.help},
          {"kinds", kinds}};
}

http::Response setting_defs(ApiContext&, const service::Actor&, const http::Request&) {
  json items = json::array();
  for (const auto& def : policy::user_setting_defs()) items.push_back(setting_def_json(def));
  return json_response(200, {{"items", items}});
}

http::Response list(ApiContext& ctx, const service::Actor& actor, const http::Request& request) {
  service::UserFilter filter;
  filter.domain = query_param(request, "domain").value_or("");
  filter.query = query_param(request, "q").value_or("");
  if (auto kind = query_param(request, "kind")) {
    filter.kind = mail::parse_sender_kind(*kind);
    if (!filter.kind) return error_response(400, "kind must be ip, user or domain");
  }
  auto db = database_of(ctx);
  if (!db) return failure_response(db.error());
  auto users = service::list_users(**db, actor, filter);
  if (!users) return failure_response(users.error());
  json items = json::array();
  for (const auto& item : *users) items.push_back(user_json(item.user, item.locked));
  return json_response(200, {{"items", items}, {"next_cursor", nullptr}});
}

// A password from the body: a string, checked by the service; absent = generated.
service::Outcome<service::PasswordSource> password_source(const json& body) {
  auto password = optional_string(body, "password");
  if (!password) return tl::unexpected(password.error());
  if (!*password) return service::PasswordSource();
  return service::PasswordSource(
      [text = **password]() -> service::Outcome<std::string> { return text; });
}

http::Response add(ApiContext& ctx, const service::Actor& actor, const http::Request& request) {
  auto body = json_body(request);
  if (!body) return failure_response(body.error());
  auto kind_text = optional_string(*body, "kind");
  auto name = optional_string(*body, "name");
  auto owner = optional_string(*body, "owner");
  if (!kind_text) return failure_response(kind_text.error());
  if (!name) return failure_response(name.error());
  if (!owner) return failure_response(owner.error());
  auto kind = mail::parse_sender_kind(kind_text->value_or(""));
  if (!kind) return error_response(400, "kind must be ip, user or domain");
  if (!*name) return error_response(400, "name is required");
  service::NewUser user;
  user.kind = *kind;
  user.name = **name;
  user.owner = owner->value_or("");
  auto password = password_source(*body);
  if (!password) return failure_response(password.error());
  user.password = std::move(*password);
  auto settings = settings_pairs(body->value("settings", json(nullptr)));
  if (!settings) return failure_response(settings.error());
  user.settings = std::move(*settings);
  auto db = database_of(ctx);
  if (!db) return failure_response(db.error());
  auto added = service::add_user(**db, actor, user, service::PasswordRules::from(ctx.config()),
                                 service::IpRangeRules::from(ctx.config()));
  if (!added) return failure_response(added.error());
  auto detail = service::user_detail(**db, actor, added->user.name);
  if (!detail) return failure_response(detail.error());
  json out = {{"user", user_detail_json(*detail)}};
  if (!added->generated_password.empty()) out["password"] = added->generated_password;
  return json_response(201, out);
}

http::Response get(ApiContext& ctx, const service::Actor& actor, const http::Request& request) {
  auto db = database_of(ctx);
  if (!db) return failure_response(db.error());
  auto detail = service::user_detail(**db, actor, path_param(request, "name"));
  if (!detail) return failure_response(detail.error());
  return json_response(200, user_detail_json(*detail));
}

http::Response patch(ApiContext& ctx, const service::Actor& actor, const http::Request& request) {
  auto body = json_body(request);
  if (!body) return failure_response(body.error());
  for (const auto& [key, value] : body->items()) {
    if (key != "settings" && key != "password")
      return error_response(400, "unknown field " + key + "; valid fields: settings, password");
  }
  auto settings = settings_pairs(body->value("settings", json(nullptr)));
  if (!settings) return failure_response(settings.error());
  auto password = password_source(*body);
  if (!password) return failure_response(password.error());
  auto db = database_of(ctx);
  if (!db) return failure_response(db.error());
  auto updated = service::change_user(**db, actor, path_param(request, "name"), *settings,
                                      *password, service::PasswordRules::from(ctx.config()));
  if (!updated) return failure_response(updated.error());
  auto detail = service::user_detail(**db, actor, updated->name);
  if (!detail) return failure_response(detail.error());
  return json_response(200, user_detail_json(*detail));
}

http::Response remove(ApiContext& ctx, const service::Actor& actor, const http::Request& request) {
  auto db = database_of(ctx);
  if (!db) return failure_response(db.error());
  auto removed = service::remove_user(**db, actor, path_param(request, "name"));
  if (!removed) return failure_response(removed.error());
  http::Response response;
  response.status = 204;
  return response;
}

// The user's detail after a change (lock, unlock, counter reset).
http::Response detail_after(ApiContext& ctx, const service::Actor& actor,
                            const service::Outcome<store::User>& changed) {
  if (!changed) return failure_response(changed.error());
  auto db = database_of(ctx);
  if (!db) return failure_response(db.error());
  auto detail = service::user_detail(**db, actor, changed->name);
  if (!detail) return failure_response(detail.error());
  return json_response(200, user_detail_json(*detail));
}

http::Response lock(ApiContext& ctx, const service::Actor& actor, const http::Request& request) {
  auto body = json_body(request);
  if (!body) return failure_response(body.error());
  auto reason = optional_string(*body, "reason");
  if (!reason) return failure_response(reason.error());
  auto db = database_of(ctx);
  if (!db) return failure_response(db.error());
  return detail_after(ctx, actor,
                      service::lock_user(**db, actor, path_param(request, "name"),
                                         reason->value_or("locked by " + actor.name)));
}

http::Response unlock(ApiContext& ctx, const service::Actor& actor, const http::Request& request) {
  auto body = json_body(request);
  if (!body) return failure_response(body.error());
  auto reset = optional_bool(*body, "reset_unlocks", false);
  if (!reset) return failure_response(reset.error());
  auto db = database_of(ctx);
  if (!db) return failure_response(db.error());
  return detail_after(ctx, actor,
                      service::unlock_user(**db, actor, path_param(request, "name"), *reset));
}

http::Response reset_counters(ApiContext& ctx, const service::Actor& actor,
                              const http::Request& request) {
  auto db = database_of(ctx);
  if (!db) return failure_response(db.error());
  return detail_after(ctx, actor,
                      service::reset_user_counters(**db, actor, path_param(request, "name")));
}

// The users and their settings.
void add_user_record_routes(RouteTable& table) {
  table.add({Method::kGet, "/api/v1/user-settings", Access::kLoggedIn, setting_defs,
             RouteDoc{"users",
                      "Every user setting: type, default, limits, choices, unit, help and the "
                      "kinds of user it applies to",
                      json::array(),
                      nullptr,
                      {{"items",
                        {{{"key", "reauth_permitted"},
                          {"type", "bool"},
                          {"default", "false"},
                          {"min", nullptr},
                          {"max", nullptr},
                          {"choices", json::array()},
                          {"unit", ""},
                          {"help", "..."},
                          {"kinds", {"ip"}}}}}}}});
  table.add(
      {Method::kGet, "/api/v1/users", Access::kLoggedIn, list,
       RouteDoc{"users",
                "List the outgoing users (a domain admin sees its domain's)",
                json::array(
                    {{{"name", "domain"}, {"description", "only this domain"}, {"type", "string"}},
                     {{"name", "kind"}, {"description", "ip, user or domain"}, {"type", "string"}},
                     {{"name", "q"}, {"description", "part of the name"}, {"type", "string"}}}),
                nullptr,
                {{"items", json::array({kUserExample})}, {"next_cursor", nullptr}}}});
  table.add({Method::kPost, "/api/v1/users", Access::kLoggedIn, add,
             RouteDoc{"users",
                      "Add & configure a user, all or nothing (a password is generated and "
                      "returned once when none is given)",
                      json::array(),
                      {{"kind", "user"},
                       {"name", "alice@example.com"},
                       {"settings", {{"messages_per_hour", "100"}}}},
                      {{"user", user_detail_example()}, {"password", "generated-once"}}}});
  table.add({Method::kGet, "/api/v1/users/{name}", Access::kLoggedIn, get,
             RouteDoc{"users", "One user with every setting, its lock and counters", json::array(),
                      nullptr, user_detail_example()}});
  table.add({Method::kPatch, "/api/v1/users/{name}", Access::kLoggedIn, patch,
             RouteDoc{"users",
                      "Change settings (\"\" = back to the default) and/or the password",
                      json::array(),
                      {{"settings", {{"messages_per_hour", ""}}}},
                      user_detail_example()}});
  table.add({Method::kDelete, "/api/v1/users/{name}", Access::kLoggedIn, remove,
             RouteDoc{"users", "Remove a user", json::array(), nullptr, nullptr}});
}

// Locks and counters.
void add_user_lock_routes(RouteTable& table) {
  table.add({Method::kPost, "/api/v1/users/{name}/lock", Access::kLoggedIn, lock,
             RouteDoc{"users",
                      "Lock a user: its mail is refused until unlocked",
                      json::array(),
                      {{"reason", "compromised password"}},
                      user_detail_example()}});
  table.add({Method::kPost, "/api/v1/users/{name}/unlock", Access::kLoggedIn, unlock,
             RouteDoc{"users",
                      "Unlock a user",
                      json::array(),
                      {{"reset_unlocks", true}},
                      user_detail_example()}});
  table.add({Method::kPost, "/api/v1/users/{name}/reset-counters", Access::kLoggedIn,
             reset_counters,
             RouteDoc{"users", "Forget a user's counters (a running gateway keeps its own)",
                      json::array(), nullptr, user_detail_example()}});
}

}  // namespace

void add_user_routes(RouteTable& table) {
  add_user_record_routes(table);
  add_user_lock_routes(table);
}

}  // namespace pw::api
