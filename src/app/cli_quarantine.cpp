// `postwarden quarantine list|show|release|delete` (F-RELEASE): the outgoing quarantine.
// While `serve` runs, a release is handed to it through the gateway_commands table (it spools
// and queues the message at once); otherwise the message goes into the spool and the next start
// of the gateway delivers it.
// Trust: arguments come from the admin's command line; filters are bound, ids checked.
#include <pwd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "app/cli.hpp"
#include "app/cli_output.hpp"
#include "app/serve_lock.hpp"
#include "mail/header_summary.hpp"
#include "quarantine/quarantine_store.hpp"
#include "service/learning_service.hpp"
#include "service/quarantine_service.hpp"
#include "store/node_database.hpp"

namespace pw::app {
namespace {

struct QuarantineArgs {
  std::string id;
  std::string domain, status, sender;
  int64_t limit = 100;
  bool json = false;
  bool raw = false;
};

// Who released a message, for the row: the login running the command.
std::string invoking_user() {
  if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr && pw->pw_name != nullptr)
    return std::string("cli:") + pw->pw_name;
  return "cli:uid " + std::to_string(::geteuid());
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

int list_quarantine(const GlobalOptions& options, const QuarantineArgs& args) {
  quarantine::QuarantineFilter filter;
  if (!args.domain.empty()) filter.domain = args.domain;
  if (!args.status.empty()) filter.status = args.status;
  if (!args.sender.empty()) filter.sender = args.sender;
  filter.limit = args.limit;
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  auto page = service::list_quarantine(service::Actor::cli(), *db, options.data_dir, filter);
  if (!page) return report_error(page.error().message);
  const auto& rows = page->items;
  if (args.json) {
    auto out = nlohmann::json::array();
    for (const auto& row : rows) out.push_back(quarantine::to_json(row));
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> table;
  table.reserve(rows.size());
  for (const auto& row : rows)
    table.push_back({row.id, format_time(row.held_at), row.status, row.sender,
                     "<" + row.mail_from + ">", joined(row.rcpt_to), row.check_name, row.subject});
  print_table(std::cout, {"ID", "HELD", "STATUS", "USER", "FROM", "TO", "CHECK", "SUBJECT"}, table);
  std::cout << rows.size() << " message(s)\n";
  return 0;
}

int show_quarantined(const GlobalOptions& options, const QuarantineArgs& args) {
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  auto detail = service::show_quarantined(service::Actor::cli(), *db, options.data_dir, args.id);
  if (!detail) return report_error(detail.error().message);
  const auto& q = detail->row;
  const std::string& message = detail->message;
  if (args.raw) {
    if (q.status == "deleted")
      return report_error("quarantined message " + args.id + " was deleted");
    std::cout << message;
    return 0;
  }
  std::string headers(mail::header_section(message));
  if (args.json) {
    auto out = quarantine::to_json(q);
    out["headers"] = headers;
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return 0;
  }
  std::cout << "id:          " << q.id << "\n"
            << "held:        " << format_time(q.held_at) << " from " << q.client_ip << "\n"
            << "sender:      " << q.sender << " (" << q.sender_kind << ") of " << q.user_domain
            << "\n"
            << "identity:    " << q.identity << "\n"
            << "mail from:   <" << q.mail_from << ">\n"
            << "to:          " << joined(q.rcpt_to) << "\n"
            << "subject:     " << q.subject << "\n"
            << "message-id:  " << q.header_message_id << "\n"
            << "size:        " << q.size << "\n"
            << "check:       " << q.check_name << " (score " << q.score << ")\n"
            << "reasons:     " << q.reasons << "\n"
            << "response:    " << q.response << "\n"
            << "status:      " << q.status << "\n";
  if (q.status == "released")
    std::cout << "released:    " << format_time(q.released_at) << " by " << q.released_by
              << " as queue id " << q.queue_id << "\n";
  if (!headers.empty()) std::cout << "headers:\n" << headers;
  return 0;
}

int release_quarantined(const GlobalOptions& options, const QuarantineArgs& args) {
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  service::ReleaseVia via;
  via.other_gateway_running = serve_is_running(options.data_dir);
  Result<config::Config> config = config::Config{};
  // Errors the admin can fix come first: the release checks the id before it needs the config
  // (for the spool's signer without a gateway, and for learning from the release).
  auto row = quarantine::QuarantineStore(*db, options.data_dir).find(args.id);
  if (row && *row && (*row)->status == "held") {
    config = load_node_config(options);
    if (!config) return report_error(config.error().message);
    via.config = &*config;
  }
  auto released = service::release_quarantined(service::Actor::cli(), *db, options.data_dir,
                                               args.id, invoking_user(), via);
  if (!released) return report_error(released.error().message);
  std::cout << released->text << "\n";
  return 0;
}

// F-SPAM: "confirm as spam" teaches the node's model; the message stays where it is.
int confirm_spam(const GlobalOptions& options, const QuarantineArgs& args) {
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  auto config = load_node_config(options);
  if (!config) return report_error(config.error().message);
  auto learned = service::confirm_spam(service::Actor::cli(), *db, options.data_dir, args.id,
                                       invoking_user(), *config);
  if (!learned) return report_error(learned.error().message);
  std::cout << learned->text << "\n";
  return 0;
}

int delete_quarantined(const GlobalOptions& options, const QuarantineArgs& args) {
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  if (auto removed =
          service::delete_quarantined(service::Actor::cli(), *db, options.data_dir, args.id);
      !removed)
    return report_error(removed.error().message);
  std::cout << "deleted " << args.id << "\n";
  return 0;
}

}  // namespace

void register_quarantine_commands(CLI::App& app, Action& action) {
  auto args = std::make_shared<QuarantineArgs>();
  auto* quarantine = app.add_subcommand("quarantine", "The outgoing quarantine");
  quarantine->require_subcommand(1);
  auto* list = quarantine->add_subcommand("list", "Held, released and deleted messages");
  list->add_option("--domain", args->domain, "The user's domain");
  list->add_option("--status", args->status, "held, released or deleted");
  list->add_option("--sender", args->sender, "Outgoing user or envelope sender");
  list->add_option("--limit", args->limit, "Most messages to show (default 100)");
  list->add_flag("--json", args->json, "Print JSON");
  list->callback([&action, args] {
    action = [args](const GlobalOptions& o) { return list_quarantine(o, *args); };
  });
  auto* show = quarantine->add_subcommand("show", "A quarantined message and its headers");
  show->add_option("id", args->id, "Quarantine id")->required();
  show->add_flag("--json", args->json, "Print JSON");
  show->add_flag("--raw", args->raw, "Print the whole message");
  show->callback([&action, args] {
    action = [args](const GlobalOptions& o) { return show_quarantined(o, *args); };
  });
  auto* release = quarantine->add_subcommand("release", "Send a held message on to its recipients");
  release->add_option("id", args->id, "Quarantine id")->required();
  release->callback([&action, args] {
    action = [args](const GlobalOptions& o) { return release_quarantined(o, *args); };
  });
  auto* confirm = quarantine->add_subcommand(
      "confirm-spam", "Confirm a quarantined message as spam: the node's model learns from it");
  confirm->add_option("id", args->id, "Quarantine id")->required();
  confirm->callback([&action, args] {
    action = [args](const GlobalOptions& o) { return confirm_spam(o, *args); };
  });
  auto* remove = quarantine->add_subcommand("delete", "Delete a quarantined message");
  remove->add_option("id", args->id, "Quarantine id")->required();
  remove->callback([&action, args] {
    action = [args](const GlobalOptions& o) { return delete_quarantined(o, *args); };
  });
}

}  // namespace pw::app
