// `postwarden log decisions`: every policy decision with its reasons (B-EXPLAIN: "why was this
// blocked?"), filtered by message, sender (outgoing user or envelope sender), identity, check,
// action and time.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/cli.hpp"
#include "app/cli_output.hpp"
#include "service/log_service.hpp"
#include "store/node_database.hpp"

namespace pw::app {
namespace {

struct DecisionArgs {
  std::string message_id, sender, identity, check, action;
  int64_t since = 0;
  int64_t limit = 100;
  bool json = false;
};

int list_decisions(const GlobalOptions& options, const DecisionArgs& args) {
  if (args.limit < 1 || args.limit > 100000) return report_error("--limit is 1 to 100000");
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  auto decisions = service::list_decisions(service::Actor::cli(), *db,
                                           {args.message_id, args.sender, args.identity, args.check,
                                            args.action, args.since, args.limit});
  if (!decisions) return report_error(decisions.error().message);
  nlohmann::json out = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : *decisions) {
    nlohmann::json j = {{"at", format_time(d.at)},  {"message_id", d.message_id},
                        {"stage", d.stage},         {"check", d.check},
                        {"action", d.action},       {"mode", d.mode},
                        {"reply", d.reply},         {"reasons", d.reasons_text},
                        {"client_ip", d.client_ip}, {"sender", d.sender},
                        {"domain", d.user_domain},  {"identity", d.identity},
                        {"mail_from", d.mail_from}, {"rcpt", d.rcpt}};
    rows.push_back(
        {j["at"], j["stage"], j["check"], j["action"], j["sender"], j["message_id"], j["reasons"]});
    // The reasons one by one with what each check measured, as the panel shows them.
    j["measured"] = service::decision_json(d)["reasons"];
    out.push_back(std::move(j));
  }
  if (args.json) {
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  print_table(std::cout, {"TIME", "STAGE", "CHECK", "ACTION", "SENDER", "MESSAGE", "REASONS"},
              rows);
  return 0;
}

}  // namespace

void register_decision_commands(CLI::App& app, Action& action) {
  auto* log = app.get_subcommand("log");
  auto args = std::make_shared<DecisionArgs>();
  auto* cmd = log->add_subcommand("decisions", "Policy decisions and their reasons, newest first");
  cmd->add_option("--message", args->message_id, "Queue or quarantine id");
  cmd->add_option("--sender", args->sender, "Outgoing user or envelope sender");
  cmd->add_option("--identity", args->identity, "Identity");
  cmd->add_option("--check", args->check, "Check name (spam, locked, message_rate, ...)");
  cmd->add_option("--action", args->action, "reject, tempfail, quarantine, would_reject, ...");
  cmd->add_option("--since", args->since, "Unix time");
  cmd->add_option("--limit", args->limit, "At most this many (default 100)");
  cmd->add_flag("--json", args->json, "Print a JSON array");
  cmd->callback([&action, args] {
    action = [args](const GlobalOptions& o) { return list_decisions(o, *args); };
  });
}

}  // namespace pw::app
