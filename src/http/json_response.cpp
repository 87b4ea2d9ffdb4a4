// JSON answers (see the header).
#include "http/json_response.hpp"

#include <string>

namespace pw::http {

Response json_response(int status, const nlohmann::json& body) {
  Response response;
  response.status = status;
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

Response error_response(int status, std::string_view message) {
  return json_response(status, nlohmann::json{{"error", std::string(message)}});
}

}  // namespace pw::http
