// See route_support.hpp.
#include "api/route_support.hpp"

namespace pw::api {

service::Outcome<store::Database*> database_of(ApiContext& context) {
  auto db = context.database();
  if (!db) return service::from_error(db.error(), service::Failure::Kind::kInternal);
  return *db;
}

nlohmann::json page_json(nlohmann::json items, const std::optional<service::Cursor>& next) {
  return {{"items", std::move(items)},
          {"next_cursor", next ? nlohmann::json(service::encode_cursor(*next)) : nlohmann::json()}};
}

service::Outcome<ListParameters> list_parameters(const http::Request& request) {
  ListParameters out;
  auto limit = service::parse_page_limit(query_param(request, "limit"));
  if (!limit) return tl::unexpected(limit.error());
  out.limit = *limit;
  if (auto cursor = query_param(request, "cursor")) {
    auto decoded = service::decode_cursor(*cursor);
    if (!decoded) return tl::unexpected(decoded.error());
    out.cursor = *decoded;
  }
  for (auto [name, field] :
       {std::pair{"from", &ListParameters::from}, std::pair{"to", &ListParameters::to}}) {
    if (auto text = query_param(request, name)) {
      auto time = service::parse_api_time(*text, name);
      if (!time) return tl::unexpected(time.error());
      out.*field = *time;
    }
  }
  return out;
}

nlohmann::json list_parameter_docs(nlohmann::json extra) {
  nlohmann::json docs = extra.is_array() ? std::move(extra) : nlohmann::json::array();
  docs.push_back({{"name", "from"},
                  {"description", "at or after this time (ISO 8601 UTC or Unix seconds)"},
                  {"type", "string"}});
  docs.push_back({{"name", "to"}, {"description", "before this time"}, {"type", "string"}});
  docs.push_back({{"name", "limit"},
                  {"description", "page size, 1 to 500 (default 50)"},
                  {"type", "integer"}});
  docs.push_back({{"name", "cursor"},
                  {"description", "next_cursor of the previous page"},
                  {"type", "string"}});
  return docs;
}

http::Response no_content() {
  http::Response response;
  response.status = 204;
  response.content_type.clear();
  return response;
}

http::Response rfc822_response(std::string message) {
  http::Response response;
  response.status = 200;
  response.content_type = "message/rfc822";
  response.body = std::move(message);
  return response;
}

}  // namespace pw::api
