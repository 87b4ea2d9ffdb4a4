// `postwarden queue list|show|flush|delete` (F-QUEUE) and `postwarden log search` (F-LOG).
// While `serve` runs, flush and delete are handed to it through the gateway_commands table and
// carried out on its live queue; otherwise they act on the database and spool directly.
// Trust: arguments come from the admin's command line; filters are bound, never spliced.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "app/cli.hpp"
#include "app/cli_output.hpp"
#include "app/serve_lock.hpp"
#include "service/log_service.hpp"
#include "service/queue_service.hpp"
#include "store/message_log.hpp"
#include "store/node_database.hpp"
#include "store/statement.hpp"

namespace pw::app {
namespace {

struct QueueArgs {
  std::string id;
  bool json = false;
  bool all = false;
};

struct SearchArgs {
  std::string sender, recipient, domain, user, client_ip, identity, status, since, until;
  int64_t limit = 100;
  int64_t offset = 0;
  bool json = false;
};

std::string recipients_text(const store::MessageRow& row) {
  std::string out;
  for (const auto& r : row.recipients) {
    if (!out.empty()) out += ",";
    out += r.rcpt;
  }
  return out;
}

int list_queue(const GlobalOptions& options, const QueueArgs& args) {
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  auto pending = service::list_queue(service::Actor::cli(), *db, std::nullopt, std::nullopt);
  if (!pending) return report_error(pending.error().message);
  if (args.json) {
    auto out = nlohmann::json::array();
    for (const auto& row : *pending) out.push_back(store::to_json(row));
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& row : *pending) {
    for (const auto& r : row.recipients) {
      if (store::is_final(r.status)) continue;
      rows.push_back({row.id, format_time(row.received_at), "<" + row.mail_from + ">", r.rcpt,
                      std::string(store::to_string(r.status)), std::to_string(r.attempts),
                      r.next_attempt_at ? format_time(r.next_attempt_at) : "", r.last_reply});
    }
  }
  print_table(std::cout,
              {"ID", "RECEIVED", "FROM", "TO", "STATUS", "ATTEMPTS", "NEXT", "LAST REPLY"}, rows);
  std::cout << pending->size() << " message(s) queued\n";
  return 0;
}

int show_message(const GlobalOptions& options, const QueueArgs& args) {
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  auto detail = service::show_log_message(service::Actor::cli(), *db, args.id);
  if (!detail) return report_error(detail.error().message);
  const auto* events = &detail->events;
  if (args.json) {
    auto out = store::to_json(detail->message);
    out["events"] = nlohmann::json::array();
    for (const auto& e : *events) out["events"].push_back(store::to_json(e));
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  const auto& m = detail->message;
  std::cout << "id:          " << m.id << "\n"
            << "received:    " << format_time(m.received_at) << " from " << m.client_ip << " (helo "
            << m.helo << (m.tls ? ", TLS" : "") << ")\n"
            << "sender:      " << m.sender << " (" << m.sender_kind << ") of " << m.user_domain
            << (m.auth_user ? ", AUTH " + *m.auth_user : std::string()) << "\n"
            << "mail from:   <" << m.mail_from << ">\n"
            << "message-id:  " << m.message_id << "\n"
            << "subject:     " << m.subject << "\n"
            << "size:        " << m.size << "\n"
            << "status:      " << m.status << "\n";
  for (const auto& r : m.recipients)
    std::cout << "to:          <" << r.rcpt << "> " << store::to_string(r.status) << " after "
              << r.attempts << " attempt(s)"
              << (r.remote_host.empty() ? "" : " via " + r.remote_host)
              << (r.last_reply.empty() ? "" : ": " + r.last_reply) << "\n";
  std::cout << "history:\n";
  for (const auto& e : *events)
    std::cout << "  " << format_time(e.at) << " " << e.event
              << (e.rcpt.empty() ? "" : " <" + e.rcpt + ">")
              << (e.remote.empty() ? "" : " " + e.remote)
              << (e.detail.empty() ? "" : ": " + e.detail) << "\n";
  return 0;
}

int flush_queue(const GlobalOptions& options, const QueueArgs& args) {
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  service::QueueVia via;
  via.other_gateway_running = serve_is_running(options.data_dir);
  auto line = service::flush_queue(service::Actor::cli(), *db, options.data_dir, args.id, via);
  if (!line) return report_error(line.error().message);
  std::cout << *line << "\n";
  return 0;
}

int delete_message(const GlobalOptions& options, const QueueArgs& args) {
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  service::QueueVia via;
  via.other_gateway_running = serve_is_running(options.data_dir);
  auto line = service::delete_queued(service::Actor::cli(), *db, options.data_dir, args.id, via);
  if (!line) return report_error(line.error().message);
  std::cout << *line << "\n";
  return 0;
}

int search_log(const GlobalOptions& options, const SearchArgs& args) {
  store::SearchFilter filter;
  auto set = [](std::optional<std::string>& field, const std::string& value) {
    if (!value.empty()) field = value;
  };
  set(filter.sender, args.sender);
  set(filter.recipient, args.recipient);
  set(filter.domain, args.domain);
  set(filter.user, args.user);
  set(filter.client_ip, args.client_ip);
  set(filter.identity, args.identity);
  if (!args.status.empty()) filter.status = args.status;
  if (auto ok = service::check_log_status(filter.status); !ok)
    return report_error(ok.error().message);
  if (!args.since.empty()) {
    auto t = parse_time(args.since);
    if (!t) return report_error("--since: " + t.error().message);
    filter.since = *t;
  }
  if (!args.until.empty()) {
    auto t = parse_time(args.until);
    if (!t) return report_error("--until: " + t.error().message);
    filter.until = *t;
  }
  if (args.limit < 1 || args.limit > 100000) return report_error("--limit must be 1..100000");
  if (args.offset < 0) return report_error("--offset must not be negative");
  filter.limit = args.limit;
  filter.offset = args.offset;
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  auto page = service::search_log(service::Actor::cli(), *db, filter);
  if (!page) return report_error(page.error().message);
  const auto* rows = &page->items;
  if (args.json) {
    auto out = nlohmann::json::array();
    for (const auto& row : *rows) out.push_back(store::to_json(row));
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> table;
  for (const auto& row : *rows)
    table.push_back({format_time(row.received_at), row.id, "<" + row.mail_from + ">",
                     recipients_text(row), row.status, row.sender, std::to_string(row.size),
                     row.subject});
  print_table(std::cout, {"RECEIVED", "ID", "FROM", "TO", "STATUS", "USER", "SIZE", "SUBJECT"},
              table);
  return 0;
}

}  // namespace

void register_queue_commands(CLI::App& app, Action& action) {
  auto args = std::make_shared<QueueArgs>();
  auto* queue = app.add_subcommand("queue", "Inspect and act on the mail queue");
  queue->require_subcommand(1);
  auto* list = queue->add_subcommand("list", "Messages waiting for delivery");
  list->add_flag("--json", args->json, "Print JSON");
  list->callback([&action, args] {
    action = [args](const GlobalOptions& o) { return list_queue(o, *args); };
  });
  auto* show = queue->add_subcommand("show", "A message with its recipients and history");
  show->add_option("id", args->id, "Queue id")->required();
  show->add_flag("--json", args->json, "Print JSON");
  show->callback([&action, args] {
    action = [args](const GlobalOptions& o) { return show_message(o, *args); };
  });
  auto* flush = queue->add_subcommand("flush", "Retry deferred mail now (all, or one message)");
  flush->add_option("id", args->id, "Queue id (default: every deferred message)");
  flush->callback([&action, args] {
    action = [args](const GlobalOptions& o) { return flush_queue(o, *args); };
  });
  auto* remove = queue->add_subcommand("delete", "Delete a queued message without delivering it");
  remove->add_option("id", args->id, "Queue id")->required();
  remove->callback([&action, args] {
    action = [args](const GlobalOptions& o) { return delete_message(o, *args); };
  });
}

void register_log_commands(CLI::App& app, Action& action) {
  auto args = std::make_shared<SearchArgs>();
  auto* log = app.add_subcommand("log", "The message log");
  log->require_subcommand(1);
  auto* search = log->add_subcommand("search", "Find messages (newest first)");
  search->add_option("--sender", args->sender, "Envelope sender (MAIL FROM)");
  search->add_option("--recipient", args->recipient, "Envelope recipient (RCPT TO)");
  search->add_option("--domain", args->domain,
                     "The user's domain or the sending domain (aliases too)");
  search->add_option("--user", args->user,
                     "Outgoing user (address, domain or IP range) or AUTH name");
  search->add_option("--client-ip", args->client_ip, "Client IP address");
  search->add_option("--identity", args->identity, "Identity of the message (F-IDENT)");
  search->add_option("--status", args->status,
                     "queued, deferred, delivered, bounced, expired, deleted");
  search->add_option("--since", args->since,
                     "Received at or after (unix, YYYY-MM-DD[THH:MM[:SS]], -2h)");
  search->add_option("--until", args->until, "Received before");
  search->add_option("--limit", args->limit, "Most messages to show (default 100)");
  search->add_option("--offset", args->offset, "Skip this many (pagination)");
  search->add_flag("--json", args->json, "Print JSON");
  search->callback([&action, args] {
    action = [args](const GlobalOptions& o) { return search_log(o, *args); };
  });
}

}  // namespace pw::app
