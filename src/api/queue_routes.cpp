// The queue's routes (F-QUEUE, F-PANEL): what waits for delivery (oldest first), one message,
// flush one or all (all: administrators only) and delete. Inside `serve` the actions go to the
// running gateway's queue. The service limits a domain admin to its domain's messages.
#include "api/api_routes.hpp"
#include "api/route_support.hpp"
#include "service/log_service.hpp"
#include "service/queue_service.hpp"

namespace pw::api {
namespace {

std::string id_of(const http::Request& request) {
  auto it = request.path_params.find("id");
  return it == request.path_params.end() ? std::string() : it->second;
}

nlohmann::json queued_json(const store::MessageRow& row) {
  nlohmann::json item = service::log_item_json(row);
  nlohmann::json recipients = nlohmann::json::array();
  for (const auto& r : row.recipients)
    recipients.push_back(
        {{"address", r.rcpt},
         {"status", store::to_string(r.status)},
         {"attempts", r.attempts},
         {"next_attempt", r.next_attempt_at ? nlohmann::json(service::iso_time(r.next_attempt_at))
                                            : nlohmann::json()},
         {"last_reply", r.last_reply}});
  item["recipients"] = recipients;
  return item;
}

http::Response list(ApiContext& context, const service::Actor& actor,
                    const http::Request& request) {
  auto db = database_of(context);
  if (!db) return failure_response(db.error());
  auto parameters = list_parameters(request);
  if (!parameters) return failure_response(parameters.error());
  auto rows = service::list_queue(actor, **db, query_param(request, "domain"),
                                  query_param(request, "status"));
  if (!rows) return failure_response(rows.error());
  // Oldest first; the cursor names the last message of the previous page.
  nlohmann::json items = nlohmann::json::array();
  std::optional<service::Cursor> next;
  const store::MessageRow* last = nullptr;
  for (const auto& row : *rows) {
    if (parameters->cursor && std::pair(row.received_at, row.id) <=
                                  std::pair(parameters->cursor->at, parameters->cursor->id))
      continue;
    if (last && static_cast<int64_t>(items.size()) == parameters->limit) {
      next = service::Cursor{last->received_at, last->id};
      break;
    }
    items.push_back(queued_json(row));
    last = &row;
  }
  return json_response(200, page_json(std::move(items), next));
}

http::Response show(ApiContext& context, const service::Actor& actor,
                    const http::Request& request) {
  auto db = database_of(context);
  if (!db) return failure_response(db.error());
  return answer(service::show_queued(actor, **db, id_of(request)), queued_json);
}

service::QueueVia via_of(ApiContext& context) {
  service::QueueVia via;
  via.queue = context.queue;
  return via;
}

http::Response flush_one(ApiContext& context, const service::Actor& actor,
                         const http::Request& request) {
  auto db = database_of(context);
  if (!db) return failure_response(db.error());
  std::string id = id_of(request);
  return answer(service::flush_queue(actor, **db, context.data_dir(), id, via_of(context)),
                [](const std::string& text) {
                  return nlohmann::json{{"flushed", true}, {"text", text}};
                });
}

http::Response flush_all(ApiContext& context, const service::Actor& actor, const http::Request&) {
  auto db = database_of(context);
  if (!db) return failure_response(db.error());
  return answer(service::flush_queue(actor, **db, context.data_dir(), "", via_of(context)),
                [](const std::string& text) {
                  return nlohmann::json{{"flushed", true}, {"text", text}};
                });
}

http::Response remove(ApiContext& context, const service::Actor& actor,
                      const http::Request& request) {
  auto db = database_of(context);
  if (!db) return failure_response(db.error());
  auto done =
      service::delete_queued(actor, **db, context.data_dir(), id_of(request), via_of(context));
  if (!done) return failure_response(done.error());
  return no_content();
}

}  // namespace

void add_queue_routes(RouteTable& table) {
  nlohmann::json item = {
      {"id", "M1a2b3c4d"},
      {"time", "2026-11-26T05:00:00Z"},
      {"sender", "alice@example.com"},
      {"recipients", nlohmann::json::array({{{"address", "bob@example.net"},
                                             {"status", "deferred"},
                                             {"attempts", 2},
                                             {"next_attempt", "2026-11-26T05:20:00Z"},
                                             {"last_reply", "451 4.7.1 Try again later"}}})},
      {"user", "alice@example.com"},
      {"identity", "alice@example.com"},
      {"domain", "example.com"},
      {"sender_domain", "example.com"},
      {"client_ip", "192.0.2.10"},
      {"size", 2048},
      {"status", "deferred"},
      {"subject", "Minutes"}};
  nlohmann::json list_docs = nlohmann::json::array(
      {{{"name", "domain"},
        {"description", "the user's domain or the sending domain"},
        {"type", "string"}},
       {{"name", "status"}, {"description", "queued or deferred"}, {"type", "string"}},
       {{"name", "limit"},
        {"description", "page size, 1 to 500 (default 50)"},
        {"type", "integer"}},
       {{"name", "cursor"},
        {"description", "next_cursor of the previous page"},
        {"type", "string"}}});
  nlohmann::json flushed = {{"flushed", true}, {"text", "flushed 1 message(s)"}};
  table.add({http::Method::kGet, "/api/v1/queue", Access::kLoggedIn, list,
             RouteDoc{"queue", "Messages waiting for delivery, oldest first", list_docs, nullptr,
                      page_json(nlohmann::json::array({item}), std::nullopt)}});
  table.add({http::Method::kPost, "/api/v1/queue/flush", Access::kAdminOnly, flush_all,
             RouteDoc{"queue", "Retry every deferred message now (administrators only)",
                      nlohmann::json::array(), nullptr, flushed}});
  table.add({http::Method::kGet, "/api/v1/queue/{id}", Access::kLoggedIn, show,
             RouteDoc{"queue", "One message with its recipients' states", nlohmann::json::array(),
                      nullptr, item}});
  table.add({http::Method::kPost, "/api/v1/queue/{id}/flush", Access::kLoggedIn, flush_one,
             RouteDoc{"queue", "Retry one deferred message now", nlohmann::json::array(), nullptr,
                      flushed}});
  table.add({http::Method::kDelete, "/api/v1/queue/{id}", Access::kLoggedIn, remove,
             RouteDoc{"queue", "Delete a queued message without delivering it",
                      nlohmann::json::array(), nullptr, nullptr}});
}

}  // namespace pw::api
