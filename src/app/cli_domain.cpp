// `postwarden domain add|list|remove|set`: the domains of a node (F-DOM).
// Trust: arguments come from the admin's command line; service/domain_service validates them.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "app/cli.hpp"
#include "app/cli_output.hpp"
#include "service/domain_service.hpp"
#include "store/node_database.hpp"

namespace pw::app {
namespace {

struct DomainArgs {
  std::string name;
  std::string admin_contact;
  std::string dkim_selector;
  bool json = false;
  bool force = false;
  std::vector<std::string> assignments;
  std::vector<std::string> add_aliases;
  std::vector<std::string> remove_aliases;
};

int add_domain(const GlobalOptions& options, const DomainArgs& args) {
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  auto domain = service::add_domain(*db, service::Actor::cli(), args.name, args.admin_contact,
                                    args.dkim_selector);
  if (!domain) return report_error(domain.error().message);
  std::cout << "added domain " << domain->name << "\n";
  return 0;
}

int list_domains(const GlobalOptions& options, const DomainArgs& args) {
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  auto domains = service::list_domains(*db, service::Actor::cli());
  if (!domains) return report_error(domains.error().message);
  if (args.json) {
    auto out = nlohmann::json::array();
    for (const auto& view : *domains) {
      const auto& domain = view.domain;
      out.push_back({{"name", domain.name},
                     {"admin_contact", domain.admin_contact},
                     {"dkim_selector", domain.dkim_selector},
                     {"aliases", view.aliases},
                     {"route", view.route},
                     {"spam_threshold", view.spam_threshold ? nlohmann::json(*view.spam_threshold)
                                                            : nlohmann::json(nullptr)},
                     {"batv", view.batv},
                     {"users", domain.user_count},
                     {"created", format_time(domain.created_at)}});
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& view : *domains) {
    const auto& domain = view.domain;
    rows.push_back({domain.name, std::to_string(domain.user_count), domain.admin_contact,
                    domain.dkim_selector, format_time(domain.created_at)});
  }
  print_table(std::cout, {"DOMAIN", "USERS", "ADMIN CONTACT", "DKIM SELECTOR", "CREATED"}, rows);
  return 0;
}

int remove_domain(const GlobalOptions& options, const DomainArgs& args) {
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  auto removed = service::remove_domain(*db, service::Actor::cli(), args.name, args.force);
  if (!removed) return report_error(removed.error().message);
  std::cout << "removed domain " << removed->name;
  if (removed->users_removed > 0)
    std::cout << " and its " << removed->users_removed
              << (removed->users_removed == 1 ? " user" : " users");
  std::cout << "\n";
  return 0;
}

int set_domain(const GlobalOptions& options, const DomainArgs& args) {
  if (args.assignments.empty() && args.add_aliases.empty() && args.remove_aliases.empty())
    return report_error("nothing to change: give key=value pairs, --alias or --remove-alias");
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& text : args.assignments) {
    auto assignment = parse_assignment(text);
    if (!assignment) return report_error(assignment.error().message);
    pairs.push_back(std::move(*assignment));
  }
  auto change = service::domain_change_from_pairs(pairs);
  if (!change) return report_error(change.error().message);
  change->add_aliases = args.add_aliases;
  change->remove_aliases = args.remove_aliases;
  int64_t batv_lifetime_days = 0;  // F-BATV: for the first key, made with the first batv=on
  if (change->sets_batv()) {
    auto config = load_node_config(options);
    if (!config) return report_error(config.error().message);
    batv_lifetime_days = config->batv.tag_lifetime_days;
  }
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  auto updated =
      service::change_domain(*db, service::Actor::cli(), args.name, *change, batv_lifetime_days);
  if (!updated) return report_error(updated.error().message);
  std::cout << "updated domain " << updated->name << "\n";
  return 0;
}

}  // namespace

void register_domain_commands(CLI::App& app, Action& action) {
  auto args = std::make_shared<DomainArgs>();
  auto* domain_cmd = app.add_subcommand("domain", "Manage the domains of this node");
  domain_cmd->require_subcommand(1);

  auto* add = domain_cmd->add_subcommand("add", "Add a domain");
  add->add_option("name", args->name, "Domain name, e.g. example.com")->required();
  add->add_option("--admin-contact", args->admin_contact,
                  "E-mail address that receives abuse reports");
  add->add_option("--dkim-selector", args->dkim_selector, "Default DKIM selector");
  add->callback([&action, args] {
    action = [args](const GlobalOptions& options) { return add_domain(options, *args); };
  });

  auto* list = domain_cmd->add_subcommand("list", "List the domains");
  list->add_flag("--json", args->json, "Print a JSON array");
  list->callback([&action, args] {
    action = [args](const GlobalOptions& options) { return list_domains(options, *args); };
  });

  auto* remove = domain_cmd->add_subcommand("remove", "Remove a domain");
  remove->add_option("name", args->name, "Domain name")->required();
  remove->add_flag("--force", args->force, "Also remove the domain's users");
  remove->callback([&action, args] {
    action = [args](const GlobalOptions& options) { return remove_domain(options, *args); };
  });

  auto* set = domain_cmd->add_subcommand(
      "set",
      "Change a domain: admin_contact=, dkim_selector=, route=HOST:PORT, spam_threshold=N, "
      "batv=on|off, aliases");
  set->add_option("name", args->name, "Domain name")->required();
  set->add_option("settings", args->assignments, "key=value pairs (an empty value clears)");
  set->add_option("--alias", args->add_aliases,
                  "Add an alias domain, logged and counted under this one (repeatable)");
  set->add_option("--remove-alias", args->remove_aliases, "Remove an alias domain (repeatable)");
  set->callback([&action, args] {
    action = [args](const GlobalOptions& options) { return set_domain(options, *args); };
  });
}

}  // namespace pw::app
