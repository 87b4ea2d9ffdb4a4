// The settings and templates area of the REST API (docs/API.md "Settings and templates"): the
// abuse contact (stored in the database, used by the running gateway over the config file's) and
// the lock template. Reading is open to a domain admin (its abuse contact is its domain's
// admin_contact); changing is the node administrator's (service/settings_service).
// Trust: bodies come from logged-in panel users; see api/tenant_json.
#include "api/api_context.hpp"
#include "api/api_response.hpp"
#include "api/api_routes.hpp"
#include "api/tenant_json.hpp"
#include "service/settings_service.hpp"

namespace pw::api {
namespace {

using http::Method;
using nlohmann::json;

json template_json(const service::TemplateView& tpl) {
  return {{"name", tpl.name},
          {"subject", tpl.subject},
          {"text", tpl.body},
          {"built_in", tpl.built_in},
          {"placeholders", service::template_placeholders()}};
}

const json kTemplateExample = {
    {"name", "lock"},
    {"subject", "Your sending as {user} is locked"},
    {"text", "Hello,\n\n{user} was locked at {time}: {reason}\n"},
    {"built_in", false},
    {"placeholders",
     {"{user}", "{identity}", "{domain}", "{reason}", "{time}", "{unlock_at}", "{contact}"}}};

http::Response settings_answer(store::Database& db, ApiContext& ctx, const service::Actor& actor) {
  auto settings = service::get_node_settings(db, actor, ctx.config().policy.abuse_contact);
  if (!settings) return failure_response(settings.error());
  json out = {{"abuse_contact", settings->abuse_contact},
              {"lock_template", template_json(settings->lock_template)}};
  if (actor.is_admin())
    out["abuse_contact_source"] = settings->stored_abuse_contact.empty() ? "config" : "database";
  return json_response(200, out);
}

http::Response get_settings(ApiContext& ctx, const service::Actor& actor, const http::Request&) {
  auto db = database_of(ctx);
  if (!db) return failure_response(db.error());
  return settings_answer(**db, ctx, actor);
}

// {"subject"?, "text"|"body"} of a template; the subject stays when absent.
service::Outcome<service::TemplateView> template_change(store::Database& db,
                                                        const service::Actor& actor,
                                                        const std::string& name, const json& body) {
  if (!body.is_object()) return service::invalid("a template is a JSON object");
  auto subject = optional_string(body, "subject");
  if (!subject) return tl::unexpected(subject.error());
  auto text = optional_string(body, "text");
  if (!text) return tl::unexpected(text.error());
  if (!*text) {
    text = optional_string(body, "body");
    if (!text) return tl::unexpected(text.error());
  }
  if (!*text) return service::invalid("text is required");
  auto current = service::get_template(db, actor, name);
  if (!current) return tl::unexpected(current.error());
  return service::set_template(db, actor, name, subject->value_or(current->subject), **text);
}

http::Response put_settings(ApiContext& ctx, const service::Actor& actor,
                            const http::Request& request) {
  auto body = json_body(request);
  if (!body) return failure_response(body.error());
  for (const auto& [key, value] : body->items()) {
    if (key != "abuse_contact" && key != "lock_template")
      return error_response(
          400, "unknown field " + key + "; valid fields: abuse_contact, lock_template");
  }
  auto contact = optional_string(*body, "abuse_contact", true);
  if (!contact) return failure_response(contact.error());
  auto db = database_of(ctx);
  if (!db) return failure_response(db.error());
  if (!actor.is_admin()) return failure_response(service::forbidden().value());
  // Both or neither.
  auto changed = (*db)->transaction([&]() -> Result<void> {
    if (*contact) {
      if (auto set = service::set_abuse_contact(**db, actor, **contact); !set)
        return fail(set.error().message);
    }
    if (body->contains("lock_template")) {
      if (auto set = template_change(**db, actor, "lock", (*body)["lock_template"]); !set)
        return fail(set.error().message);
    }
    return {};
  });
  if (!changed) return error_response(400, changed.error().message);
  return settings_answer(**db, ctx, actor);
}

http::Response get_template(ApiContext& ctx, const service::Actor& actor,
                            const http::Request& request) {
  auto db = database_of(ctx);
  if (!db) return failure_response(db.error());
  auto tpl = service::get_template(**db, actor, path_param(request, "name"));
  if (!tpl) return failure_response(tpl.error());
  return json_response(200, template_json(*tpl));
}

http::Response put_template(ApiContext& ctx, const service::Actor& actor,
                            const http::Request& request) {
  auto body = json_body(request);
  if (!body) return failure_response(body.error());
  auto db = database_of(ctx);
  if (!db) return failure_response(db.error());
  auto tpl = template_change(**db, actor, path_param(request, "name"), *body);
  if (!tpl) return failure_response(tpl.error());
  return json_response(200, template_json(*tpl));
}

}  // namespace

void add_settings_routes(RouteTable& table) {
  table.add({Method::kGet, "/api/v1/settings", Access::kLoggedIn, get_settings,
             RouteDoc{"settings",
                      "The abuse contact in force and the lock template (a domain admin's "
                      "abuse contact is its domain's admin_contact)",
                      json::array(),
                      nullptr,
                      {{"abuse_contact", "abuse@example.com"},
                       {"abuse_contact_source", "database"},
                       {"lock_template", kTemplateExample}}}});
  table.add({Method::kPut, "/api/v1/settings", Access::kAdminOnly, put_settings,
             RouteDoc{"settings",
                      "Store the abuse contact (\"\" = the config file's) and/or the lock "
                      "template (admin)",
                      json::array(),
                      {{"abuse_contact", "abuse@example.com"},
                       {"lock_template", {{"subject", "Locked: {user}"}, {"text", "..."}}}},
                      {{"abuse_contact", "abuse@example.com"},
                       {"abuse_contact_source", "database"},
                       {"lock_template", kTemplateExample}}}});
  table.add(
      {Method::kGet, "/api/v1/templates/{name}", Access::kLoggedIn, get_template,
       RouteDoc{"settings", "A mail template and its placeholders (built-in when none stored)",
                json::array(), nullptr, kTemplateExample}});
  table.add({Method::kPut, "/api/v1/templates/{name}", Access::kAdminOnly, put_template,
             RouteDoc{"settings",
                      "Store a mail template (admin)",
                      json::array(),
                      {{"subject", "Locked: {user}"}, {"text", "{user} was locked: {reason}"}},
                      kTemplateExample}});
}

}  // namespace pw::api
