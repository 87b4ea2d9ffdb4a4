#include "api/api_response.hpp"

namespace pw::api {

int status_of(service::Failure::Kind kind) {
  switch (kind) {
    case service::Failure::Kind::kInvalid:
      return 400;
    case service::Failure::Kind::kForbidden:
      return 403;
    case service::Failure::Kind::kNotFound:
      return 404;
    case service::Failure::Kind::kConflict:
      return 409;
    case service::Failure::Kind::kInternal:
      return 500;
  }
  return 500;
}

http::Response failure_response(const service::Failure& failure) {
  return error_response(status_of(failure.kind), failure.message);
}

service::Outcome<nlohmann::json> json_body(const http::Request& request) {
  if (request.body.empty()) return nlohmann::json::object();
  auto parsed = nlohmann::json::parse(request.body, nullptr, false);
  if (parsed.is_discarded()) return service::invalid("the request body is not valid JSON");
  if (!parsed.is_object()) return service::invalid("the request body must be a JSON object");
  return parsed;
}

std::optional<std::string> query_param(const http::Request& request, const std::string& name) {
  auto it = request.query.find(name);
  if (it == request.query.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

}  // namespace pw::api
