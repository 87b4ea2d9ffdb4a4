// A node for the route tests of quarantine, log, queue, DKIM, hashes, archive and stats: a temp
// data dir with a real database, an ApiContext on it, the area's routes in a table, and helpers
// that put mail where the gateway would (the quarantine store, the message log writer, the
// decisions table, the archive) and call a route in-process as a given actor.
#pragma once
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "../store/temp_dir.hpp"
#include "api/api_context.hpp"
#include "api/api_routes.hpp"
#include "archive/archive_store.hpp"
#include "quarantine/quarantine_store.hpp"
#include "service/actor.hpp"
#include "store/domain_repository.hpp"
#include "store/log_writer.hpp"
#include "store/message_log.hpp"
#include "store/statement.hpp"

namespace pw::api::test {

inline const service::Actor kAdmin{service::Role::kAdmin, "root", ""};
inline const service::Actor kOwnAdmin{service::Role::kDomain, "own", "example.com"};
inline const service::Actor kOtherAdmin{service::Role::kDomain, "x", "other.test"};

inline constexpr std::string_view kMessage =
    "From: alice@example.com\r\nTo: bob@example.net\r\nSubject: cheap pills\r\n"
    "Message-ID: <m1@example.com>\r\n\r\nbuy now, cheap pills for everyone\r\n";

// A message as the gateway logs it: one recipient, the sender its own user and identity.
inline store::ReceivedMessage message(const std::string& id, const std::string& mail_from,
                                      const std::string& user_domain, int64_t at) {
  store::ReceivedMessage m;
  m.id = id;
  m.received_at = at;
  m.client_ip = "192.0.2.7";
  m.helo = "client.example";
  m.sender_kind = "user";
  m.sender = mail_from;
  m.auth_user = mail_from;
  m.user_domain = user_domain;
  m.mail_from = mail_from;
  m.size = 100;
  m.subject = "hello " + id;
  m.recipients = {"bob@example.net"};
  m.identity = mail_from;
  return m;
}

struct Call {
  int status = 0;
  nlohmann::json json;
  std::string body;
  std::string content_type;
};

class ApiFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    context.emplace(dir.path().string(), config::default_config());  // the registry's defaults
    auto db = context->database();
    ASSERT_TRUE(db) << db.error().message;
    database = *db;
    store::DomainRepository domains(*database);
    ASSERT_TRUE(domains.add("example.com", "postmaster@example.com"));
    ASSERT_TRUE(domains.add("other.test", "postmaster@other.test"));
    all_routes_table = all_routes();
  }

  Call call(const service::Actor& actor, http::Method method, const std::string& path,
            std::map<std::string, std::string> query = {}, const std::string& body = "") {
    auto match = all_routes_table.match(method, path);
    EXPECT_TRUE(match) << "no route " << path;
    if (!match) return {};
    if (match->route->access == Access::kAdminOnly && !actor.is_admin()) return {403, {}, "", ""};
    http::Request request;
    request.method = method;
    request.path = path;
    request.query = std::move(query);
    request.path_params = match->path_params;
    request.body = body;
    auto response = match->route->handler(*context, actor, request);
    Call out{response.status, nlohmann::json(), response.body, response.content_type};
    if (response.content_type == "application/json" && !response.body.empty())
      out.json = nlohmann::json::parse(response.body, nullptr, false);
    return out;
  }

  // The route's handler alone, without the table's admin-only gate: proves the service refuses.
  Call call_handler(const service::Actor& actor, http::Method method, const std::string& path,
                    const std::string& body = "") {
    auto match = all_routes_table.match(method, path);
    EXPECT_TRUE(match) << "no route " << path;
    if (!match) return {};
    http::Request request;
    request.method = method;
    request.path = path;
    request.path_params = match->path_params;
    request.body = body;
    auto response = match->route->handler(*context, actor, request);
    Call out{response.status, nlohmann::json(), response.body, response.content_type};
    if (response.content_type == "application/json" && !response.body.empty())
      out.json = nlohmann::json::parse(response.body, nullptr, false);
    return out;
  }

  void hold(const std::string& id, const std::string& sender, const std::string& domain,
            int64_t received_at = 1700000000) {
    quarantine::QuarantineStore store(*database, dir.path());
    quarantine::HoldRequest r;
    r.envelope.id = id;
    r.envelope.received_at = received_at;
    r.envelope.client_ip = "192.0.2.7";
    r.envelope.helo = "client.example";
    r.envelope.sender_kind = mail::Origin::kUser;
    r.envelope.sender = sender;
    r.envelope.domain = domain;
    r.envelope.mail_from = sender;
    r.envelope.rcpt_to = {"bob@example.net"};
    r.envelope.size = kMessage.size();
    r.envelope.body = mail::BodyType::k8BitMime;
    r.identity = sender;
    r.verdict.action = policy::Action::kQuarantine;
    r.verdict.check = "spam";
    r.verdict.reasons = {{"PILLS", "pharmacy words", 4.5},
                         {"spam_score", "score 9.5 at or over the threshold 5", 0}};
    r.verdict.score = 9.5;
    r.response = "rejected";
    r.message = kMessage;
    auto held = store.hold(r);
    ASSERT_TRUE(held) << held.error().message;
  }

  // Logs messages the way the gateway does: through the single log writer.
  void log(const std::vector<store::ReceivedMessage>& messages,
           const std::vector<store::RecipientUpdate>& updates = {}) {
    auto writer = store::LogWriter::start((dir.path() / "postwarden.db").string(), {});
    ASSERT_TRUE(writer) << writer.error().message;
    for (const auto& m : messages)
      (*writer)->submit([m](store::MessageLog& l) { return l.record_received(m); });
    for (const auto& u : updates)
      (*writer)->submit([u](store::MessageLog& l) { return l.record_recipient(u); });
    (*writer)->drain();
    (*writer)->stop();
  }

  void decide(const std::string& message_id, const std::string& action, const std::string& domain,
              const std::string& reasons, int64_t at) {
    auto r = store::run(
        *database,
        "INSERT INTO decisions (at, message_id, stage, check_name, action, reply, reasons, "
        "sender, user_domain, mail_from) VALUES (?1, ?2, 'mail', 'message_rate', ?3, "
        "'450 4.7.1 Outgoing limit reached', ?4, ?5, ?6, ?5)",
        {at, message_id, action, reasons, "alice@" + domain, domain});
    ASSERT_TRUE(r) << r.error().message;
  }

  pw::test::TempDir dir;
  std::optional<ApiContext> context;
  store::Database* database = nullptr;
  RouteTable all_routes_table;
};

}  // namespace pw::api::test
