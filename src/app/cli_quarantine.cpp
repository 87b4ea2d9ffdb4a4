// `postwarden quarantine list|show|release|delete` (F-RELEASE): the outgoing quarantine.
// While `serve` runs, a release is handed to it through the quarantine_commands table (it spools
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
#include "app/release_signer.hpp"
#include "app/serve_lock.hpp"
#include "dkim/dkim_config.hpp"
#include "policy/policy_snapshot.hpp"
#include "quarantine/quarantine_store.hpp"
#include "queue/header_summary.hpp"
#include "store/node_database.hpp"

namespace pw::app {
namespace {

// How long `quarantine release` waits for the running gateway to carry it out.
constexpr auto kCommandWait = std::chrono::seconds(10);
constexpr auto kCommandPoll = std::chrono::milliseconds(100);

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
  quarantine::QuarantineStore store(*db, options.data_dir);
  auto rows = store.list(filter);
  if (!rows) return report_error(rows.error().message);
  if (args.json) {
    auto out = nlohmann::json::array();
    for (const auto& row : *rows) out.push_back(quarantine::to_json(row));
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> table;
  for (const auto& row : *rows)
    table.push_back({row.id, format_time(row.held_at), row.status, row.sender,
                     "<" + row.mail_from + ">", joined(row.rcpt_to), row.check_name, row.subject});
  print_table(std::cout, {"ID", "HELD", "STATUS", "USER", "FROM", "TO", "CHECK", "SUBJECT"}, table);
  std::cout << rows->size() << " message(s)\n";
  return 0;
}

int show_quarantined(const GlobalOptions& options, const QuarantineArgs& args) {
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  quarantine::QuarantineStore store(*db, options.data_dir);
  auto row = store.find(args.id);
  if (!row) return report_error(row.error().message);
  if (!*row) return report_error("no quarantined message " + args.id);
  const auto& q = **row;
  std::string message;
  if (q.status != "deleted") {
    auto held = store.read(args.id);
    if (!held) return report_error(held.error().message);
    message = std::move(held->message);
  }
  if (args.raw) {
    if (q.status == "deleted")
      return report_error("quarantined message " + args.id + " was deleted");
    std::cout << message;
    return 0;
  }
  std::string headers(queue::header_section(message));
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

// Hands the release to the running gateway and waits for its answer.
int release_on_server(quarantine::QuarantineStore& store, const QuarantineArgs& args) {
  auto command_id = store.request_release(args.id, invoking_user());
  if (!command_id) return report_error(command_id.error().message);
  auto deadline = std::chrono::steady_clock::now() + kCommandWait;
  while (std::chrono::steady_clock::now() < deadline) {
    auto result = store.command_result(*command_id);
    if (!result) return report_error(result.error().message);
    if (*result) {
      if (!(*result)->ok) return report_error((*result)->text);
      std::cout << (*result)->text << "\n";
      return 0;
    }
    std::this_thread::sleep_for(kCommandPoll);
  }
  return report_error(
      "the running gateway did not answer within 10 s; the release stays queued for it");
}

int release_quarantined(const GlobalOptions& options, const QuarantineArgs& args) {
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  quarantine::QuarantineStore store(*db, options.data_dir);
  // Errors the admin can fix are reported at once, not after a round trip to the gateway.
  auto row = store.find(args.id);
  if (!row) return report_error(row.error().message);
  if (!*row) return report_error("no quarantined message " + args.id);
  if ((*row)->status != "held")
    return report_error("quarantined message " + args.id + " is " + (*row)->status + ", not held");
  if (serve_is_running(options.data_dir)) return release_on_server(store, args);
  auto spool = queue::Spool::open(std::filesystem::path(options.data_dir) / "spool");
  if (!spool) return report_error(spool.error().message);
  auto config = load_node_config(options);
  if (!config) return report_error(config.error().message);
  if (config->dkim.enabled) {  // F-DKIM: signed now, as the gateway would
    auto snapshot = policy::load_policy_snapshot(*db);
    if (!snapshot) return report_error(snapshot.error().message);
    store.set_release_signer(make_release_signer(
        [s = *snapshot] { return s; },
        std::make_shared<dkim::KeyCache>(
            dkim::KeyStore(dkim::KeyStore::default_dir(options.data_dir))),
        std::make_shared<const dkim::SignerOptions>(dkim::signer_options(config->dkim))));
  }
  auto queue_id = store.release(args.id, invoking_user(), *spool);
  if (!queue_id) return report_error(queue_id.error().message);
  std::cout << "released " << args.id << " as queue id " << *queue_id
            << "; no gateway is running: it is delivered when it starts\n";
  return 0;
}

int delete_quarantined(const GlobalOptions& options, const QuarantineArgs& args) {
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  quarantine::QuarantineStore store(*db, options.data_dir);
  if (auto removed = store.remove(args.id); !removed) return report_error(removed.error().message);
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
  auto* remove = quarantine->add_subcommand("delete", "Delete a quarantined message");
  remove->add_option("id", args->id, "Quarantine id")->required();
  remove->callback([&action, args] {
    action = [args](const GlobalOptions& o) { return delete_quarantined(o, *args); };
  });
}

}  // namespace pw::app
