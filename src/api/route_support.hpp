// What the quarantine, log, queue, DKIM, hash, archive and stats routes share: the database of
// the calling thread as a service outcome, list pages as {"items", "next_cursor"}, and the list
// parameters every list takes (limit, cursor, from, to) read through the service's checks.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "api/api_context.hpp"
#include "api/api_response.hpp"
#include "service/outcome.hpp"
#include "service/paging.hpp"

namespace pw::api {

service::Outcome<store::Database*> database_of(ApiContext& context);

// {"items": items, "next_cursor": cursor or null}
nlohmann::json page_json(nlohmann::json items, const std::optional<service::Cursor>& next);

struct ListParameters {
  int64_t limit = service::kDefaultPageSize;
  std::optional<service::Cursor> cursor;
  std::optional<int64_t> from, to;
};
service::Outcome<ListParameters> list_parameters(const http::Request& request);

// The documented query parameters of a list (limit, cursor, from, to) plus `extra`.
nlohmann::json list_parameter_docs(nlohmann::json extra);

// A 200 JSON answer made by `to_json` from a success, or the failure's status.
template <class T, class ToJson>
http::Response answer(const service::Outcome<T>& outcome, ToJson&& to_json, int status = 200) {
  if (!outcome) return failure_response(outcome.error());
  return json_response(status, to_json(*outcome));
}

http::Response no_content();
http::Response rfc822_response(std::string message);

}  // namespace pw::api
