// The OpenAPI document lists every route of the table with its parameters, examples, security
// and access level (F-PANEL).
#include "api/openapi.hpp"

#include <gtest/gtest.h>

#include "api/api_routes.hpp"

namespace pw::api {
namespace {

using nlohmann::json;

TEST(HttpOpenApi, DescribesEveryRouteOfTheTable) {
  RouteTable table = all_routes();
  table.add({http::Method::kGet, "/api/v1/things/{domain}/{selector}", Access::kAdminOnly, nullptr,
             RouteDoc{"things",
                      "A thing",
                      json::array({{{"name", "limit"}, {"type", "int"}, {"description", "n"}}}),
                      nullptr,
                      {{"ok", true}}}});
  json doc = openapi_document(table);
  EXPECT_EQ(doc["openapi"], "3.0.3");
  EXPECT_TRUE(doc["info"].contains("title"));
  EXPECT_TRUE(doc["components"]["securitySchemes"].contains("cookieSession"));
  EXPECT_TRUE(doc["components"]["securitySchemes"].contains("bearerToken"));
  size_t operations = 0;
  for (auto& [path, methods] : doc["paths"].items()) operations += methods.size();
  EXPECT_EQ(operations, table.routes().size());
  for (const auto& route : table.routes()) {
    std::string method(to_string(route.method));
    for (auto& c : method) c = static_cast<char>(std::tolower(c));
    ASSERT_TRUE(doc["paths"][route.pattern].contains(method)) << route.pattern;
    const json& op = doc["paths"][route.pattern][method];
    EXPECT_EQ(op["x-access"], std::string(to_string(route.access)));
    EXPECT_FALSE(op["tags"].empty());
    EXPECT_TRUE(op.contains("responses"));
    EXPECT_EQ(op["security"].empty(), route.access == Access::kAnyone) << route.pattern;
  }
  const json& thing = doc["paths"]["/api/v1/things/{domain}/{selector}"]["get"];
  ASSERT_EQ(thing["parameters"].size(), 3u);
  EXPECT_EQ(thing["parameters"][0]["name"], "domain");
  EXPECT_EQ(thing["parameters"][0]["in"], "path");
  EXPECT_EQ(thing["parameters"][1]["name"], "selector");
  EXPECT_EQ(thing["parameters"][2]["in"], "query");
  EXPECT_EQ(thing["parameters"][2]["schema"]["type"], "integer");
  EXPECT_EQ(thing["x-access"], "admin_only");
  EXPECT_EQ(thing["responses"]["200"]["content"]["application/json"]["example"]["ok"], true);
  const json& login = doc["paths"]["/api/v1/login"]["post"];
  EXPECT_TRUE(login["requestBody"]["content"]["application/json"]["example"].contains("password"));
  EXPECT_EQ(login["x-access"], "anyone");
}

}  // namespace
}  // namespace pw::api
