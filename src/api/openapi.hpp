// The OpenAPI 3.0.3 document of the REST API (F-PANEL), made from the route table: every route
// with its method, path and query parameters, body and answer examples, tag, summary, security
// and its access level as x-access (anyone, logged_in, admin_only).
#pragma once
#include <nlohmann/json.hpp>

#include "api/route_table.hpp"

namespace pw::api {

nlohmann::json openapi_document(const RouteTable& table);

// "anyone", "logged_in", "admin_only".
std::string_view to_string(Access access);

}  // namespace pw::api
