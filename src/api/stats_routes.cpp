// The dashboard's route (F-PANEL): sent, blocked, quarantined and deferred per hour or day, the
// busiest users and identities, the locks in force. A domain admin gets its own domain's.
#include "api/api_routes.hpp"
#include "api/route_support.hpp"
#include "service/stats_service.hpp"
#include "store/statement.hpp"

namespace pw::api {
namespace {

http::Response stats(ApiContext& context, const service::Actor& actor,
                     const http::Request& request) {
  auto db = database_of(context);
  if (!db) return failure_response(db.error());
  return answer(service::dashboard_stats(actor, **db, query_param(request, "period"),
                                         query_param(request, "domain"), store::unix_now()),
                service::stats_json);
}

}  // namespace

void add_stats_routes(RouteTable& table) {
  nlohmann::json example = {
      {"period", "hour"},
      {"buckets", nlohmann::json::array({{{"start", "2026-11-26T05:00:00Z"},
                                          {"sent", 120},
                                          {"blocked", 3},
                                          {"quarantined", 1},
                                          {"deferred", 2}}})},
      {"top_senders", nlohmann::json::array({{{"user", "alice@example.com"}, {"messages", 57}}})},
      {"top_identities",
       nlohmann::json::array(
           {{{"user", "192.0.2.0/24"}, {"identity", "bob@example.com"}, {"messages", 31}}})},
      {"top_window_hours", 24},
      {"locks",
       {{"users", nlohmann::json::array({{{"user", "carol@example.com"},
                                          {"since", "2026-11-26T04:10:00Z"},
                                          {"until", "2026-11-26T06:10:00Z"},
                                          {"reason", "spam threshold reached"}}})},
        {"identities", nlohmann::json::array()}}}};
  table.add(
      {http::Method::kGet, "/api/v1/stats", Access::kLoggedIn, stats,
       RouteDoc{
           "stats",
           "Dashboard: counts per hour (last 24) or day (last 30), top senders and "
           "identities of the last 24 hours, current locks",
           nlohmann::json::array(
               {{{"name", "period"}, {"description", "hour (default) or day"}, {"type", "string"}},
                {{"name", "domain"}, {"description", "only this domain"}, {"type", "string"}}}),
           nullptr, example}});
}

}  // namespace pw::api
