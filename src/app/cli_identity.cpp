// `postwarden identity list|add|lock|unlock` (F-IDENT, F-LOCK-ID: "Manage identities") and
// `postwarden template list|show|set` (F-LOCK-TEMPLATE: the lock template and its placeholders)
// and `postwarden settings show|set` (F-PANEL: the abuse contact stored in the database).
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/cli.hpp"
#include "app/cli_output.hpp"
#include "service/identity_service.hpp"
#include "service/settings_service.hpp"
#include "store/node_database.hpp"

namespace pw::app {
namespace {

struct IdentityArgs {
  std::string domain;
  std::string user;
  std::string identity;
  std::string reason;
  bool reset_unlocks = false;
  bool json = false;
};

int list_identities(const GlobalOptions& options, const IdentityArgs& args) {
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  service::IdentityFilter filter;
  filter.domain = args.domain;
  filter.user = args.user;
  auto identities = service::list_identities(*db, service::Actor::cli(), filter);
  if (!identities) return report_error(identities.error().message);
  nlohmann::json out = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  for (const auto& view : *identities) {
    const auto& lock = view.lock;
    bool locked = view.locked;
    nlohmann::json j = {{"domain", view.domain},
                        {"user", view.user},
                        {"identity", view.identity},
                        {"manual", view.manual},
                        {"created", format_time(view.created_at)},
                        {"last_seen", format_time(view.last_seen_at)},
                        {"messages", view.messages},
                        {"locked", locked},
                        {"lock_time", lock && locked ? format_time(lock->locked_at) : ""},
                        {"reason", lock && locked ? lock->reason : ""},
                        {"automatic_unlocks", lock ? lock->automatic_unlocks : 0},
                        {"counters_24h", view.counters_24h}};
    rows.push_back({view.domain, view.user, view.identity, j["lock_time"], j["reason"],
                    locked ? "yes" : "no", std::to_string(j["automatic_unlocks"].get<int64_t>()),
                    std::to_string(j["messages"].get<int64_t>())});
    out.push_back(std::move(j));
  }
  if (args.json) {
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  print_table(
      std::cout,
      {"DOMAIN", "USER", "IDENTITY", "LOCK TIME", "REASON", "LOCKED", "AUTO UNLOCKS", "MESSAGES"},
      rows);
  return 0;
}

int add_identity(const GlobalOptions& options, const IdentityArgs& args) {
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  auto user = service::add_identity(*db, service::Actor::cli(), args.user, args.identity);
  if (!user) return report_error(user.error().message);
  std::cout << "added identity " << args.identity << " of " << user->name << "\n";
  return 0;
}

int lock_identity(const GlobalOptions& options, const IdentityArgs& args, bool lock) {
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  auto user = lock ? service::lock_identity(*db, service::Actor::cli(), args.user, args.identity,
                                            args.reason)
                   : service::unlock_identity(*db, service::Actor::cli(), args.user, args.identity,
                                              args.reset_unlocks);
  if (!user) return report_error(user.error().message);
  std::cout << (lock ? "locked identity " : "unlocked identity ") << args.identity << " of "
            << user->name << (args.reset_unlocks ? " (automatic unlocks reset)" : "") << "\n";
  return 0;
}

struct TemplateArgs {
  std::string name;
  std::string subject;
  std::string body_file;
  bool json = false;
};

int show_template(const GlobalOptions& options, const TemplateArgs& args) {
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  auto tpl = service::get_template(*db, service::Actor::cli(), args.name);
  if (!tpl) return report_error(tpl.error().message);
  if (args.json) {
    std::cout << nlohmann::json{{"name", args.name},
                                {"subject", tpl->subject},
                                {"body", tpl->body},
                                {"built_in", tpl->built_in}}
                     .dump(2)
              << "\n";
    return 0;
  }
  std::cout << "name:    " << args.name << (tpl->built_in ? " (built-in)" : "") << "\n"
            << "subject: " << tpl->subject << "\n"
            << "placeholders:";
  for (const auto& placeholder : service::template_placeholders()) std::cout << " " << placeholder;
  std::cout << "\n\n" << tpl->body;
  return 0;
}

int set_template(const GlobalOptions& options, const TemplateArgs& args) {
  if (auto ok = service::check_template_name(args.name); !ok)
    return report_error(ok.error().message);
  std::ifstream in(args.body_file, std::ios::binary);
  if (!in) return report_error("cannot read " + args.body_file);
  std::stringstream body;
  body << in.rdbuf();
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  auto stored =
      service::set_template(*db, service::Actor::cli(), args.name, args.subject, body.str());
  if (!stored) return report_error(stored.error().message);
  std::cout << "stored template " << args.name << "\n";
  return 0;
}

struct SettingsArgs {
  std::vector<std::string> assignments;
  bool json = false;
};

// `settings show`: the node-wide settings (the abuse contact in force and where it comes from).
int show_settings(const GlobalOptions& options, const SettingsArgs& args) {
  auto config = load_node_config(options);
  if (!config) return report_error(config.error().message);
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  auto settings =
      service::get_node_settings(*db, service::Actor::cli(), config->policy.abuse_contact);
  if (!settings) return report_error(settings.error().message);
  if (args.json) {
    std::cout << nlohmann::json{{"abuse_contact", settings->abuse_contact},
                                {"abuse_contact_stored", settings->stored_abuse_contact}}
                     .dump(2)
              << "\n";
    return 0;
  }
  std::cout << "abuse_contact=" << settings->abuse_contact
            << (settings->stored_abuse_contact.empty() ? "  (from the config file)" : "") << "\n";
  return 0;
}

// `settings set abuse_contact=ADDR` ("" = back to the config file's value).
int set_settings(const GlobalOptions& options, const SettingsArgs& args) {
  if (args.assignments.empty()) return report_error("nothing to change: give abuse_contact=ADDR");
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& text : args.assignments) {
    auto assignment = parse_assignment(text);
    if (!assignment) return report_error(assignment.error().message);
    if (assignment->first != "abuse_contact")
      return report_error("unknown key " + assignment->first + "; valid keys: abuse_contact");
    pairs.push_back(std::move(*assignment));
  }
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  for (const auto& [key, value] : pairs) {
    auto stored = service::set_abuse_contact(*db, service::Actor::cli(), value);
    if (!stored) return report_error(stored.error().message);
    std::cout << "abuse_contact=" << *stored
              << (stored->empty() ? " (the config file's value applies)" : "") << "\n";
  }
  return 0;
}

// identity list, add, lock, unlock.
void register_identities(CLI::App& app, Action& action) {
  auto args = std::make_shared<IdentityArgs>();
  auto* cmd =
      app.add_subcommand("identity", "Identities of the outgoing users (Manage identities)");
  cmd->require_subcommand(1);
  auto* list = cmd->add_subcommand("list", "List identities with their lock state and counters");
  list->add_option("--domain", args->domain, "Only this domain");
  list->add_option("--user", args->user, "Only this user");
  list->add_flag("--json", args->json, "Print a JSON array");
  list->callback([&action, args] {
    action = [args](const GlobalOptions& o) { return list_identities(o, *args); };
  });
  auto* add = cmd->add_subcommand("add", "Add an identity by hand");
  add->add_option("--user", args->user, "The outgoing user")->required();
  add->add_option("identity", args->identity, "The identity")->required();
  add->callback([&action, args] {
    action = [args](const GlobalOptions& o) { return add_identity(o, *args); };
  });
  auto* lock = cmd->add_subcommand("lock", "Lock an identity");
  lock->add_option("--user", args->user, "The outgoing user")->required();
  lock->add_option("identity", args->identity, "The identity")->required();
  lock->add_option("--reason", args->reason, "Why");
  lock->callback([&action, args] {
    action = [args](const GlobalOptions& o) { return lock_identity(o, *args, true); };
  });
  auto* unlock = cmd->add_subcommand("unlock", "Unlock an identity");
  unlock->add_option("--user", args->user, "The outgoing user")->required();
  unlock->add_option("identity", args->identity, "The identity")->required();
  unlock->add_flag("--reset-unlocks", args->reset_unlocks, "Also reset its automatic unlocks");
  unlock->callback([&action, args] {
    action = [args](const GlobalOptions& o) { return lock_identity(o, *args, false); };
  });
}

// template show, set.
void register_templates(CLI::App& app, Action& action) {
  auto targs = std::make_shared<TemplateArgs>();
  auto* tcmd = app.add_subcommand("template", "Mail templates (the lock template)");
  tcmd->require_subcommand(1);
  auto* show = tcmd->add_subcommand("show", "Show a template (built-in when none is stored)");
  show->add_option("name", targs->name, "Template name (lock)")->required();
  show->add_flag("--json", targs->json, "Print a JSON object");
  show->callback([&action, targs] {
    action = [targs](const GlobalOptions& o) { return show_template(o, *targs); };
  });
  auto* set = tcmd->add_subcommand("set", "Store a template");
  set->add_option("name", targs->name, "Template name (lock)")->required();
  set->add_option("--subject", targs->subject, "Subject line (placeholders allowed)")->required();
  set->add_option("--body-file", targs->body_file, "File with the body (placeholders allowed)")
      ->required();
  set->callback([&action, targs] {
    action = [targs](const GlobalOptions& o) { return set_template(o, *targs); };
  });
}

// settings show, set (node-wide).
void register_node_settings(CLI::App& app, Action& action) {
  auto sargs = std::make_shared<SettingsArgs>();
  auto* scmd = app.add_subcommand("settings", "Node-wide settings (the abuse contact)");
  scmd->require_subcommand(1);
  auto* sshow = scmd->add_subcommand("show", "Show the node-wide settings");
  sshow->add_flag("--json", sargs->json, "Print a JSON object");
  sshow->callback([&action, sargs] {
    action = [sargs](const GlobalOptions& o) { return show_settings(o, *sargs); };
  });
  auto* sset = scmd->add_subcommand(
      "set", "Change a node-wide setting: abuse_contact=ADDR (\"\" = the config file's)");
  sset->add_option("settings", sargs->assignments, "key=value pairs")->required();
  sset->callback([&action, sargs] {
    action = [sargs](const GlobalOptions& o) { return set_settings(o, *sargs); };
  });
}

}  // namespace

void register_identity_commands(CLI::App& app, Action& action) {
  register_identities(app, action);
  register_templates(app, action);
  register_node_settings(app, action);
}

}  // namespace pw::app
