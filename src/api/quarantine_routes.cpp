// The quarantine's routes (F-RELEASE, F-PANEL): list, view with the decision trail, raw message,
// release (administrators only; inside `serve` straight into the running gateway's queue, DKIM
// signed like accepted mail) and delete. The service decides who may see what.
#include <memory>

#include "api/api_routes.hpp"
#include "api/route_support.hpp"
#include "policy/policy_service.hpp"
#include "queue/mail_injector.hpp"
#include "scan/attachment_limits.hpp"
#include "service/learning_service.hpp"
#include "service/quarantine_service.hpp"
#include "service/release_signer.hpp"
#include "smtp/server_context.hpp"

namespace pw::api {
namespace {

std::string id_of(const http::Request& request) {
  auto it = request.path_params.find("id");
  return it == request.path_params.end() ? std::string() : it->second;
}

http::Response list(ApiContext& context, const service::Actor& actor,
                    const http::Request& request) {
  auto db = database_of(context);
  if (!db) return failure_response(db.error());
  auto parameters = list_parameters(request);
  if (!parameters) return failure_response(parameters.error());
  quarantine::QuarantineFilter filter;
  filter.domain = query_param(request, "domain");
  filter.sender = query_param(request, "user");
  filter.text = query_param(request, "q");
  filter.status = query_param(request, "status");
  filter.since = parameters->from;
  filter.until = parameters->to;
  filter.limit = parameters->limit;
  if (parameters->cursor) filter.before = {parameters->cursor->at, parameters->cursor->id};
  auto page = service::list_quarantine(actor, **db, context.data_dir(), filter);
  return answer(page, [](const service::QuarantinePage& p) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& row : p.items) items.push_back(service::quarantine_item_json(row));
    return page_json(std::move(items), p.next);
  });
}

http::Response show(ApiContext& context, const service::Actor& actor,
                    const http::Request& request) {
  auto db = database_of(context);
  if (!db) return failure_response(db.error());
  const scan::MimeTextLimits limits = scan::mime_text_limits(context.config().scan);
  return answer(service::show_quarantined(actor, **db, context.data_dir(), id_of(request)),
                [&limits](const service::QuarantineDetail& detail) {
                  return service::quarantine_detail_json(detail, limits);
                });
}

http::Response raw(ApiContext& context, const service::Actor& actor, const http::Request& request) {
  auto db = database_of(context);
  if (!db) return failure_response(db.error());
  auto message = service::quarantined_raw(actor, **db, context.data_dir(), id_of(request));
  if (!message) return failure_response(message.error());
  return rfc822_response(std::move(*message));
}

http::Response release(ApiContext& context, const service::Actor& actor,
                       const http::Request& request) {
  auto db = database_of(context);
  if (!db) return failure_response(db.error());
  service::ReleaseVia via;
  std::unique_ptr<queue::MailInjector> injector;
  smtp::ServerContext* server = context.server;
  if (context.queue && server && server->spool) {
    // Inside the gateway: its queue takes the message now, signed as the gateway signs.
    injector =
        std::make_unique<queue::MailInjector>(*server->spool, *context.queue, server->hostname);
    via.injector = injector.get();
    if (server->dkim_keys && server->dkim_options && server->policy) {
      policy::PolicyService* policy = server->policy;
      via.signer = service::make_release_signer([policy] { return policy->snapshot(); },
                                                server->dkim_keys, server->dkim_options);
    }
  }
  via.config = &context.config();  // the spool's signer without a gateway; learning always
  auto released = service::release_quarantined(actor, **db, context.data_dir(), id_of(request),
                                               "api:" + actor.name, via);
  return answer(released, [](const service::Released& r) {
    return nlohmann::json{{"released", true}, {"queue_id", r.queue_id}, {"text", r.text}};
  });
}

http::Response confirm_spam(ApiContext& context, const service::Actor& actor,
                            const http::Request& request) {
  auto db = database_of(context);
  if (!db) return failure_response(db.error());
  auto learned = service::confirm_spam(actor, **db, context.data_dir(), id_of(request),
                                       "api:" + actor.name, context.config());
  return answer(learned, [](const service::Learned& l) {
    return nlohmann::json{{"id", l.id}, {"learned", l.label}, {"text", l.text}};
  });
}

http::Response remove(ApiContext& context, const service::Actor& actor,
                      const http::Request& request) {
  auto db = database_of(context);
  if (!db) return failure_response(db.error());
  auto removed = service::delete_quarantined(actor, **db, context.data_dir(), id_of(request));
  if (!removed) return failure_response(removed.error());
  return no_content();
}

const nlohmann::json kItemExample = {{"id", "Q1a2b3c4d"},
                                     {"time", "2026-11-26T05:00:00Z"},
                                     {"sender", "alice@example.com"},
                                     {"recipients", nlohmann::json::array({"bob@example.net"})},
                                     {"user", "alice@example.com"},
                                     {"identity", "alice@example.com"},
                                     {"domain", "example.com"},
                                     {"subject", "Cheap watches"},
                                     {"size", 2048},
                                     {"reason", "spam_score: score 9.1 at or over the threshold 5"},
                                     {"check", "spam"},
                                     {"score", 9.1},
                                     {"status", "held"},
                                     {"response", "rejected"},
                                     {"client_ip", "192.0.2.10"},
                                     {"released_by", ""},
                                     {"queue_id", ""}};

}  // namespace

void add_quarantine_routes(RouteTable& table) {
  nlohmann::json detail = kItemExample;
  detail["headers"] = nlohmann::json::array({nlohmann::json::array({"Subject", "Cheap watches"}),
                                             nlohmann::json::array({"From", "alice@example.com"})});
  detail["text"] = "Buy now";
  detail["decisions"] = {{{"time", "2026-11-26T05:00:00Z"},
                          {"stage", "data"},
                          {"check", "spam"},
                          {"action", "quarantine"},
                          {"mode", "enforce"},
                          {"reply", "550 5.7.1 Message blocked as spam and held in quarantine"},
                          {"rcpt", ""},
                          {"reasons",
                           {{{"rule", "spam_score"},
                             {"text", "spam_score: score 9.1 at or over the threshold 5"},
                             {"score", 9.1},
                             {"limit", 5}}}}}};
  table.add(
      {http::Method::kGet, "/api/v1/quarantine", Access::kLoggedIn, list,
       RouteDoc{"quarantine", "Held, released and deleted outgoing messages, newest first",
                list_parameter_docs(nlohmann::json::array(
                    {{{"name", "domain"}, {"description", "the user's domain"}, {"type", "string"}},
                     {{"name", "user"},
                      {"description", "outgoing user or envelope sender"},
                      {"type", "string"}},
                     {{"name", "q"},
                      {"description", "words in subject, sender, recipients or id"},
                      {"type", "string"}},
                     {{"name", "status"},
                      {"description", "held, released or deleted"},
                      {"type", "string"}}})),
                nullptr, page_json(nlohmann::json::array({kItemExample}), std::nullopt)}});
  table.add({http::Method::kGet, "/api/v1/quarantine/{id}", Access::kLoggedIn, show,
             RouteDoc{"quarantine", "A held message: headers, body text and the decision trail",
                      nlohmann::json::array(), nullptr, detail}});
  table.add({http::Method::kGet, "/api/v1/quarantine/{id}/raw", Access::kLoggedIn, raw,
             RouteDoc{"quarantine", "The held message as message/rfc822", nlohmann::json::array(),
                      nullptr, nullptr}});
  table.add({http::Method::kPost, "/api/v1/quarantine/{id}/release", Access::kAdminOnly, release,
             RouteDoc{"quarantine",
                      "Send a held message on to its recipients (administrators only)",
                      nlohmann::json::array(),
                      nullptr,
                      {{"released", true},
                       {"queue_id", "R9z8y7x6"},
                       {"text", "released Q1a2b3c4d as queue id R9z8y7x6"}}}});
  table.add({http::Method::kPost, "/api/v1/quarantine/{id}/confirm-spam", Access::kAdminOnly,
             confirm_spam,
             RouteDoc{"quarantine",
                      "Confirm a quarantined message as spam: the node's model learns from it "
                      "(administrators only; a release teaches it ham)",
                      nlohmann::json::array(),
                      nullptr,
                      {{"id", "Q1a2b3c4d"},
                       {"learned", "spam"},
                       {"text", "confirmed Q1a2b3c4d as spam: the node's model learns from it"}}}});
  table.add({http::Method::kDelete, "/api/v1/quarantine/{id}", Access::kLoggedIn, remove,
             RouteDoc{"quarantine", "Delete a quarantined message", nlohmann::json::array(),
                      nullptr, nullptr}});
}

}  // namespace pw::api
