// The archive routes (F-ARCHIVE, F-PANEL): search one domain's archive newest first, paged by a
// keyset cursor, and one archived message as message/rfc822. A domain admin reads its own
// domain's archive only; the service decides.
#include "api/api_routes.hpp"
#include "api/route_support.hpp"
#include "service/archive_service.hpp"

namespace pw::api {
namespace {

// Archived messages carry the trace header the gateway prepends, so one accepted at exactly
// [smtp] max_message_size is a little larger in the archive (as the CLI's export allows).
constexpr size_t kTraceHeaderAllowance = 64 * 1024;

http::Response search(ApiContext& context, const service::Actor& actor,
                      const http::Request& request) {
  auto db = database_of(context);
  if (!db) return failure_response(db.error());
  auto parameters = list_parameters(request);
  if (!parameters) return failure_response(parameters.error());
  archive::ArchiveFilter filter;
  filter.domain = query_param(request, "domain").value_or("");
  filter.sender = query_param(request, "sender");
  filter.recipient = query_param(request, "recipient");
  filter.subject = query_param(request, "subject");
  filter.since = parameters->from;
  filter.until = parameters->to;
  filter.limit = parameters->limit;
  if (parameters->cursor) filter.before = {parameters->cursor->at, parameters->cursor->id};
  return answer(service::search_archive(actor, **db, context.data_dir(), filter),
                [](const service::ArchivePage& page) {
                  nlohmann::json items = nlohmann::json::array();
                  for (const auto& row : page.items)
                    items.push_back(service::archive_item_json(row));
                  return page_json(std::move(items), page.next);
                });
}

http::Response raw(ApiContext& context, const service::Actor& actor, const http::Request& request) {
  auto db = database_of(context);
  if (!db) return failure_response(db.error());
  auto it = request.path_params.find("id");
  std::string id = it == request.path_params.end() ? "" : it->second;
  const size_t max_size =
      static_cast<size_t>(context.config().smtp.max_message_size) + kTraceHeaderAllowance;
  auto message = service::archived_raw(actor, **db, context.data_dir(), id, max_size);
  if (!message) return failure_response(message.error());
  return rfc822_response(std::move(*message));
}

}  // namespace

void add_archive_routes(RouteTable& table) {
  nlohmann::json item = {{"id", "M1a2b3c4d"},
                         {"time", "2026-11-26T05:00:00Z"},
                         {"domain", "example.com"},
                         {"user", "alice@example.com"},
                         {"sender", "alice@example.com"},
                         {"recipients", nlohmann::json::array({"bob@example.net"})},
                         {"subject", "Minutes"},
                         {"message_id", "<1@example.com>"},
                         {"size", 2048}};
  table.add({http::Method::kGet, "/api/v1/archive", Access::kLoggedIn, search,
             RouteDoc{"archive", "Search one domain's archive of outgoing mail, newest first",
                      list_parameter_docs(nlohmann::json::array(
                          {{{"name", "domain"},
                            {"description",
                             "the archive (the envelope sender's domain); a domain admin's own by "
                             "default, required for an administrator"},
                            {"type", "string"}},
                           {{"name", "sender"},
                            {"description", "envelope sender or outgoing user, exact"},
                            {"type", "string"}},
                           {{"name", "recipient"},
                            {"description", "part of a recipient address"},
                            {"type", "string"}},
                           {{"name", "subject"},
                            {"description", "part of the subject"},
                            {"type", "string"}}})),
                      nullptr, page_json(nlohmann::json::array({item}), std::nullopt)}});
  table.add({http::Method::kGet, "/api/v1/archive/{id}/raw", Access::kLoggedIn, raw,
             RouteDoc{"archive", "One archived message as message/rfc822", nlohmann::json::array(),
                      nullptr, nullptr}});
}

}  // namespace pw::api
