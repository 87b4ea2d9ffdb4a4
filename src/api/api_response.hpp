// Building the REST API's responses: JSON bodies, errors as {"error": "..."} with the status
// that a service failure's kind calls for, and reading a JSON request body.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "http/json_response.hpp"
#include "http/message.hpp"
#include "service/outcome.hpp"

namespace pw::api {

using http::error_response;
using http::json_response;
// 400 invalid, 403 forbidden, 404 not found, 409 conflict, 500 internal.
http::Response failure_response(const service::Failure& failure);
int status_of(service::Failure::Kind kind);

// The request body as a JSON object; a failure (kInvalid, naming the problem) when it is not.
service::Outcome<nlohmann::json> json_body(const http::Request& request);

// A query parameter, or nullopt when absent or empty.
std::optional<std::string> query_param(const http::Request& request, const std::string& name);

}  // namespace pw::api
