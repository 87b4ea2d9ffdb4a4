// The hash block list routes (F-FUZZY, F-PANEL; administrators only): list, add a SHA-256, a
// fuzzy fingerprint or a whole message (its body fingerprint, and its attachments' hashes when
// asked), remove.
#include <charconv>

#include "api/api_routes.hpp"
#include "api/route_support.hpp"
#include "service/hash_service.hpp"
#include "service/paging.hpp"

namespace pw::api {
namespace {

nlohmann::json block_json(const store::HashBlock& block) {
  return {{"id", block.id},
          {"kind", block.kind},
          {"value", block.value},
          {"comment", block.note},
          {"created", service::iso_time(block.created_at)}};
}

http::Response list(ApiContext& context, const service::Actor& actor, const http::Request&) {
  auto db = database_of(context);
  if (!db) return failure_response(db.error());
  return answer(service::list_hashes(actor, **db), [](const std::vector<store::HashBlock>& all) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& block : all) items.push_back(block_json(block));
    return nlohmann::json{{"items", items}};
  });
}

http::Response add(ApiContext& context, const service::Actor& actor, const http::Request& request) {
  auto db = database_of(context);
  if (!db) return failure_response(db.error());
  auto body = json_body(request);
  if (!body) return failure_response(body.error());
  service::HashAddRequest add;
  for (auto [name, field] : {std::pair{"sha256", &service::HashAddRequest::sha256},
                             std::pair{"fuzzy", &service::HashAddRequest::fuzzy},
                             std::pair{"message", &service::HashAddRequest::message}}) {
    if (!body->contains(name)) continue;
    if (!(*body)[name].is_string()) return error_response(400, std::string(name) + " is a string");
    add.*field = (*body)[name].get<std::string>();
  }
  if (body->contains("attachments")) {
    if (!(*body)["attachments"].is_boolean())
      return error_response(400, "attachments is true or false");
    add.attachments = (*body)["attachments"].get<bool>();
  }
  if (body->contains("comment")) {
    if (!(*body)["comment"].is_string()) return error_response(400, "comment is a string");
    add.note = (*body)["comment"].get<std::string>();
  }
  return answer(
      service::add_hashes(actor, **db, context.config(), add),
      [](const std::vector<service::AddedHash>& added) {
        nlohmann::json items = nlohmann::json::array();
        for (const auto& a : added) {
          items.push_back(block_json(a.block));
          items.back()["what"] = a.what;
        }
        return nlohmann::json{{"items", items}};
      },
      201);
}

http::Response remove(ApiContext& context, const service::Actor& actor,
                      const http::Request& request) {
  auto db = database_of(context);
  if (!db) return failure_response(db.error());
  auto it = request.path_params.find("id");
  int64_t id = 0;
  const std::string text = it == request.path_params.end() ? "" : it->second;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (error != std::errc() || end != text.data() + text.size() || id < 1)
    return error_response(404, "no hash block list entry " + text);
  auto removed = service::remove_hash(actor, **db, id);
  if (!removed) return failure_response(removed.error());
  return no_content();
}

}  // namespace

void add_hash_routes(RouteTable& table) {
  nlohmann::json entry = {{"id", 3},
                          {"kind", "sha256"},
                          {"value", std::string(64, 'a')},
                          {"comment", "invoice malware"},
                          {"created", "2026-11-26T05:00:00Z"}};
  table.add({http::Method::kGet, "/api/v1/hashes", Access::kAdminOnly, list,
             RouteDoc{"hashes",
                      "The hash block list (administrators only)",
                      nlohmann::json::array(),
                      nullptr,
                      {{"items", nlohmann::json::array({entry})}}}});
  nlohmann::json added = entry;
  added["what"] = "";
  table.add({http::Method::kPost, "/api/v1/hashes", Access::kAdminOnly, add,
             RouteDoc{"hashes",
                      "List a SHA-256, a fuzzy fingerprint, or a message's body fingerprint (and "
                      "its attachments' hashes with attachments: true)",
                      nlohmann::json::array(),
                      {{"sha256", std::string(64, 'a')}, {"comment", "invoice malware"}},
                      {{"items", nlohmann::json::array({added})}}}});
  table.add({http::Method::kDelete, "/api/v1/hashes/{id}", Access::kAdminOnly, remove,
             RouteDoc{"hashes", "Remove an entry of the hash block list", nlohmann::json::array(),
                      nullptr, nullptr}});
}

}  // namespace pw::api
