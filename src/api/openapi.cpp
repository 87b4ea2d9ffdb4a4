// The OpenAPI 3.0.3 document, generated from the route table so that it cannot drift from it.
#include "api/openapi.hpp"

#include <algorithm>
#include <cctype>

#include "util/ascii_text.hpp"

namespace pw::api {
namespace {

using nlohmann::json;

std::string lower(std::string_view text) { return util::ascii_lowercase(text); }

// "/api/v1/users/{name}/lock" + POST -> "post_users_name_lock".
std::string operation_id(const Route& route) {
  std::string out = lower(to_string(route.method));
  std::string_view pattern = route.pattern;
  constexpr std::string_view kPrefix = "/api/v1";
  if (pattern.substr(0, kPrefix.size()) == kPrefix) pattern.remove_prefix(kPrefix.size());
  for (char c : pattern) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      out.push_back(c);
    } else if (c == '/' || c == '-' || c == '.') {
      if (out.back() != '_') out.push_back('_');
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

std::vector<std::string> path_parameters(std::string_view pattern) {
  std::vector<std::string> out;
  size_t open = pattern.find('{');
  while (open != std::string_view::npos) {
    size_t close = pattern.find('}', open);
    if (close == std::string_view::npos) break;
    out.emplace_back(pattern.substr(open + 1, close - open - 1));
    open = pattern.find('{', close);
  }
  return out;
}

std::string schema_type(const json& parameter) {
  std::string type = parameter.value("type", "string");
  if (type == "int" || type == "integer") return "integer";
  if (type == "bool" || type == "boolean") return "boolean";
  return "string";
}

json error_answer(std::string description) {
  return {
      {"description", std::move(description)},
      {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
}

json operation(const Route& route) {
  json op = {{"operationId", operation_id(route)},
             {"summary", route.doc.summary},
             {"tags", json::array({route.doc.tag.empty() ? "other" : route.doc.tag})},
             {"x-access", std::string(to_string(route.access))}};
  json parameters = json::array();
  for (const auto& name : path_parameters(route.pattern))
    parameters.push_back({{"name", name},
                          {"in", "path"},
                          {"required", true},
                          {"description", "one percent-encoded path segment"},
                          {"schema", {{"type", "string"}}}});
  if (route.doc.query_parameters.is_array())
    for (const auto& q : route.doc.query_parameters) {
      if (!q.is_object() || !q.contains("name")) continue;
      parameters.push_back({{"name", q["name"]},
                            {"in", "query"},
                            {"required", false},
                            {"description", q.value("description", "")},
                            {"schema", {{"type", schema_type(q)}}}});
    }
  if (!parameters.empty()) op["parameters"] = parameters;
  if (!route.doc.request_example.is_null())
    op["requestBody"] = {
        {"required", true},
        {"content",
         {{"application/json",
           {{"schema", {{"type", route.doc.request_example.is_object() ? "object" : "string"}}},
            {"example", route.doc.request_example}}}}}};
  json responses = json::object();
  if (route.doc.response_example.is_null()) {
    responses["204"] = {{"description", "done; no body"}};
  } else {
    json content;
    if (route.doc.response_example.is_string())
      content = {{"application/octet-stream",
                  {{"schema", {{"type", "string"}}}, {"example", route.doc.response_example}}}};
    else
      content = {{"application/json", {{"example", route.doc.response_example}}}};
    responses["200"] = {{"description", "success (201 where a new object is made)"},
                        {"content", content}};
  }
  responses["400"] = error_answer("invalid input");
  if (route.access != Access::kAnyone) {
    responses["401"] = error_answer("not logged in");
    responses["403"] = error_answer("not permitted: admin only, another domain, or no CSRF token");
  }
  responses["404"] = error_answer("no such object");
  op["responses"] = responses;
  op["security"] =
      route.access == Access::kAnyone
          ? json::array()
          : json::array({{{"cookieSession", json::array()}}, {{"bearerToken", json::array()}}});
  return op;
}

}  // namespace

std::string_view to_string(Access access) {
  switch (access) {
    case Access::kAnyone:
      return "anyone";
    case Access::kLoggedIn:
      return "logged_in";
    case Access::kAdminOnly:
      return "admin_only";
  }
  return "logged_in";
}

json openapi_document(const RouteTable& table) {
  json paths = json::object();
  std::vector<std::string> tags;
  for (const auto& route : table.routes()) {
    paths[route.pattern][lower(to_string(route.method))] = operation(route);
    std::string tag = route.doc.tag.empty() ? "other" : route.doc.tag;
    if (std::find(tags.begin(), tags.end(), tag) == tags.end()) tags.push_back(tag);
  }
  json tag_list = json::array();
  for (const auto& tag : tags) tag_list.push_back({{"name", tag}});
  return {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "postwarden REST API"},
        {"version", PW_VERSION},
        {"description",
         "The gateway's REST API (docs/API.md). Errors are {\"error\": \"one line\"}. A request "
         "authenticated by the session cookie that changes anything must carry X-CSRF-Token."}}},
      {"servers", json::array({{{"url", "/"}}})},
      {"tags", tag_list},
      {"paths", paths},
      {"components",
       {{"securitySchemes",
         {{"cookieSession", {{"type", "apiKey"}, {"in", "cookie"}, {"name", "pw_session"}}},
          {"bearerToken", {{"type", "http"}, {"scheme", "bearer"}}}}},
        {"schemas",
         {{"Error",
           {{"type", "object"},
            {"required", json::array({"error"})},
            {"properties", {{"error", {{"type", "string"}}}}}}}}}}},
  };
}

}  // namespace pw::api
