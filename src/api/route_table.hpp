// The REST API's routes (F-PANEL): method + path pattern ("/api/v1/users/{name}") → handler,
// with what the OpenAPI document says of each. Every area of the API adds its routes here, and
// the OpenAPI document and the cross-domain tests are made from this one table.
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "http/message.hpp"
#include "service/actor.hpp"

namespace pw::api {

class ApiContext;

// Runs on the worker pool (blocking work such as SQLite is allowed), after authentication.
using Handler =
    std::function<http::Response(ApiContext&, const service::Actor&, const http::Request&)>;

enum class Access {
  kAnyone,     // no login (login itself, the OpenAPI document)
  kLoggedIn,   // admins and domain admins; the handler limits a domain admin to its domain
  kAdminOnly,  // a domain admin gets 403 before the handler runs
};

struct RouteDoc {
  std::string tag;      // OpenAPI tag: "domains", "users", ...
  std::string summary;  // one line
  nlohmann::json query_parameters = nlohmann::json::array();  // [{name, description, type}]
  nlohmann::json request_example;                             // null: no body
  nlohmann::json response_example;                            // an example of the 2xx body
};

struct Route {
  http::Method method = http::Method::kGet;
  std::string pattern;  // segments in braces are path parameters, one segment each
  Access access = Access::kLoggedIn;
  Handler handler;
  RouteDoc doc;
};

struct RouteMatch {
  const Route* route = nullptr;
  std::map<std::string, std::string> path_params;  // percent-decoded
};

class RouteTable {
 public:
  void add(Route route);
  const std::vector<Route>& routes() const { return routes_; }
  // The route for this method and (still percent-encoded) path; nullopt when none. A path that
  // matches some route with another method sets *method_mismatch (for 405).
  std::optional<RouteMatch> match(http::Method method, std::string_view raw_path,
                                  bool* method_mismatch = nullptr) const;

 private:
  std::vector<Route> routes_;
};

std::string_view to_string(http::Method method);

}  // namespace pw::api
