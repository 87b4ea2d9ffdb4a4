// The log search routes (F-LOG, F-PANEL): messages filtered and paged newest first by a keyset
// cursor, and one message with its recipients' histories and the policy's decision trail ("why
// was this blocked?"). The service limits a domain admin to its domain's messages.
#include "api/api_routes.hpp"
#include "api/route_support.hpp"
#include "service/log_service.hpp"

namespace pw::api {
namespace {

http::Response search(ApiContext& context, const service::Actor& actor,
                      const http::Request& request) {
  auto db = database_of(context);
  if (!db) return failure_response(db.error());
  auto parameters = list_parameters(request);
  if (!parameters) return failure_response(parameters.error());
  store::SearchFilter filter;
  filter.sender = query_param(request, "sender");
  filter.recipient = query_param(request, "recipient");
  filter.domain = query_param(request, "domain");
  filter.user = query_param(request, "user");
  filter.identity = query_param(request, "identity");
  filter.client_ip = query_param(request, "client_ip");
  filter.status = query_param(request, "status");
  filter.since = parameters->from;
  filter.until = parameters->to;
  filter.limit = parameters->limit;
  if (parameters->cursor) filter.before = {parameters->cursor->at, parameters->cursor->id};
  return answer(service::search_log(actor, **db, filter), [](const service::LogPage& page) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& row : page.items) items.push_back(service::log_item_json(row));
    return page_json(std::move(items), page.next);
  });
}

http::Response show(ApiContext& context, const service::Actor& actor,
                    const http::Request& request) {
  auto db = database_of(context);
  if (!db) return failure_response(db.error());
  auto it = request.path_params.find("id");
  std::string id = it == request.path_params.end() ? "" : it->second;
  return answer(service::show_log_message(actor, **db, id), service::log_detail_json);
}

nlohmann::json item_example() {
  return {{"id", "M1a2b3c4d"},
          {"time", "2026-11-26T05:00:00Z"},
          {"sender", "alice@example.com"},
          {"recipients",
           nlohmann::json::array({{{"address", "bob@example.net"}, {"status", "delivered"}}})},
          {"user", "alice@example.com"},
          {"identity", "alice@example.com"},
          {"domain", "example.com"},
          {"sender_domain", "example.com"},
          {"client_ip", "192.0.2.10"},
          {"size", 2048},
          {"status", "delivered"},
          {"subject", "Minutes"}};
}

}  // namespace

void add_log_routes(RouteTable& table) {
  auto text = [](const char* name, const char* description) {
    return nlohmann::json{{"name", name}, {"description", description}, {"type", "string"}};
  };
  nlohmann::json filters = nlohmann::json::array(
      {text("sender", "envelope sender (MAIL FROM), exact, any case"),
       text("recipient", "envelope recipient (RCPT TO), exact, any case"),
       text("domain", "the user's domain or the sending domain (aliases too)"),
       text("user", "outgoing user (address, domain or IP range) or AUTH name"),
       text("identity", "identity of the message (F-IDENT)"),
       text("client_ip", "client IP address"),
       text("status", "queued, deferred, delivered, bounced, expired or deleted")});
  nlohmann::json detail = item_example();
  detail["recipients"] = nlohmann::json::array(
      {{{"address", "bob@example.net"},
        {"status", "delivered"},
        {"attempts", 1},
        {"remote_host", "mx.example.net[192.0.2.25]:25"},
        {"last_reply", "250 2.0.0 OK"},
        {"history", nlohmann::json::array({{{"time", "2026-11-26T05:00:02Z"},
                                            {"status", "delivered"},
                                            {"reply", "250 2.0.0 OK"},
                                            {"remote", "mx.example.net[192.0.2.25]:25"}}})}}});
  detail["decisions"] = nlohmann::json::array(
      {{{"time", "2026-11-26T05:00:00Z"},
        {"stage", "mail"},
        {"check", "message_rate"},
        {"action", "would_tempfail"},
        {"mode", "monitor"},
        {"reply", "450 4.7.1 Outgoing limit reached"},
        {"rcpt", ""},
        {"reasons", nlohmann::json::array(
                        {{{"rule", "messages_per_hour"},
                          {"text", "messages_per_hour: 41 messages in the last hour (limit 40)"},
                          {"counter", 41},
                          {"limit", 40}}})}}});
  table.add({http::Method::kGet, "/api/v1/log", Access::kLoggedIn, search,
             RouteDoc{"log", "Search the message log, newest first", list_parameter_docs(filters),
                      nullptr, page_json(nlohmann::json::array({item_example()}), std::nullopt)}});
  table.add({http::Method::kGet, "/api/v1/log/{id}", Access::kLoggedIn, show,
             RouteDoc{"log",
                      "One message: recipients with their history and the policy's decisions "
                      "(why was this blocked?)",
                      nlohmann::json::array(), nullptr, detail}});
}

}  // namespace pw::api
