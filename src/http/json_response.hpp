// JSON answers of the HTTP server and the REST API: a body, and errors as {"error": "..."}.
#pragma once
#include <nlohmann/json.hpp>
#include <string_view>

#include "http/message.hpp"

namespace pw::http {

Response json_response(int status, const nlohmann::json& body);
Response error_response(int status, std::string_view message);

}  // namespace pw::http
