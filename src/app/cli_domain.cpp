// `postwarden domain add|list|remove|set`: the domains of a node (F-DOM).
// Trust: arguments come from the admin's command line; the repository validates every value.
#include <CLI/CLI.hpp>
#include <charconv>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "app/cli.hpp"
#include "app/cli_output.hpp"
#include "auth/name_syntax.hpp"
#include "net/mx_route.hpp"
#include "store/batv_key_repository.hpp"
#include "store/domain_repository.hpp"
#include "store/domain_routing.hpp"
#include "store/node_database.hpp"
#include "store/statement.hpp"

namespace pw::app {
namespace {

constexpr std::string_view kAdminContactKey = "admin_contact";
constexpr std::string_view kDkimSelectorKey = "dkim_selector";
constexpr std::string_view kRouteKey = "route";
constexpr std::string_view kSpamThresholdKey = "spam_threshold";
constexpr std::string_view kBatvKey = "batv";  // F-BATV: on|off
// Bounds of a domain's spam threshold: those of [spam] threshold.
constexpr int64_t kMinSpamThreshold = 1;
constexpr int64_t kMaxSpamThreshold = 100000;

// "" clears the domain's own threshold; otherwise a whole number of points within bounds.
Result<std::optional<int64_t>> parse_spam_threshold(const std::string& text) {
  if (text.empty()) return std::optional<int64_t>();
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < kMinSpamThreshold ||
      value > kMaxSpamThreshold)
    return fail("spam_threshold must be a whole number from " + std::to_string(kMinSpamThreshold) +
                " to " + std::to_string(kMaxSpamThreshold) + " (or empty for the default)");
  return std::optional<int64_t>(value);
}

// F-BATV: "on" or "off" (also 1/0, true/false, yes/no).
Result<bool> parse_batv_switch(const std::string& text) {
  if (text == "on" || text == "1" || text == "true" || text == "yes") return true;
  if (text == "off" || text == "0" || text == "false" || text == "no") return false;
  return fail("batv must be on or off");
}

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
  auto domain = store::DomainRepository(*db).add(args.name, args.admin_contact, args.dkim_selector);
  if (!domain) return report_error(domain.error().message);
  std::cout << "added domain " << domain->name << "\n";
  return 0;
}

// The domain's own spam threshold for `domain list --json`: null = the configured default.
nlohmann::json domains_spam_threshold(store::Database& db, const std::string& name) {
  auto threshold = store::DomainRepository(db).spam_threshold(name);
  if (!threshold || !*threshold) return nullptr;
  return **threshold;
}

// F-BATV: is the domain's envelope sender tagged?
bool batv_on(store::Database& db, const std::string& name) {
  return store::BatvKeyRepository(db).domain_batv(name).value_or(false);
}

int list_domains(const GlobalOptions& options, const DomainArgs& args) {
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  auto domains = store::DomainRepository(*db).list();
  if (!domains) return report_error(domains.error().message);
  if (args.json) {
    auto out = nlohmann::json::array();
    store::DomainRouting routing(*db);
    for (const auto& domain : *domains) {
      auto aliases = routing.aliases(domain.name);
      auto route = routing.route(domain.name);
      if (!aliases || !route)
        return report_error("cannot read the aliases and route of " + domain.name);
      out.push_back({{"name", domain.name},
                     {"admin_contact", domain.admin_contact},
                     {"dkim_selector", domain.dkim_selector},
                     {"aliases", *aliases},
                     {"route", *route},
                     {"spam_threshold", domains_spam_threshold(*db, domain.name)},
                     {"batv", batv_on(*db, domain.name)},
                     {"users", domain.user_count},
                     {"created", format_time(domain.created_at)}});
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& domain : *domains) {
    rows.push_back({domain.name, std::to_string(domain.user_count), domain.admin_contact,
                    domain.dkim_selector, format_time(domain.created_at)});
  }
  print_table(std::cout, {"DOMAIN", "USERS", "ADMIN CONTACT", "DKIM SELECTOR", "CREATED"}, rows);
  return 0;
}

int remove_domain(const GlobalOptions& options, const DomainArgs& args) {
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  store::DomainRepository domains(*db);
  auto domain = domains.get(args.name);
  if (!domain) return report_error(domain.error().message);
  auto removed = domains.remove(domain->name, args.force);
  if (!removed) return report_error(removed.error().message);
  std::cout << "removed domain " << domain->name;
  if (*removed > 0) std::cout << " and its " << *removed << (*removed == 1 ? " user" : " users");
  std::cout << "\n";
  return 0;
}

int set_domain(const GlobalOptions& options, const DomainArgs& args) {
  if (args.assignments.empty() && args.add_aliases.empty() && args.remove_aliases.empty())
    return report_error("nothing to change: give key=value pairs, --alias or --remove-alias");
  std::vector<std::pair<std::string, std::string>> changes;
  for (const auto& text : args.assignments) {
    auto assignment = parse_assignment(text);
    if (!assignment) return report_error(assignment.error().message);
    if (assignment->first != kAdminContactKey && assignment->first != kDkimSelectorKey &&
        assignment->first != kRouteKey && assignment->first != kSpamThresholdKey &&
        assignment->first != kBatvKey) {
      return report_error("unknown key " + auth::quote_for_message(assignment->first) +
                          "; valid keys: " + std::string(kAdminContactKey) + ", " +
                          std::string(kDkimSelectorKey) + ", " + std::string(kRouteKey) + ", " +
                          std::string(kSpamThresholdKey) + ", " + std::string(kBatvKey));
    }
    if (assignment->first == kBatvKey) {
      if (auto b = parse_batv_switch(assignment->second); !b)
        return report_error(b.error().message);
    }
    if (assignment->first == kSpamThresholdKey) {
      if (auto t = parse_spam_threshold(assignment->second); !t)
        return report_error(t.error().message);
    }
    if (assignment->first == kRouteKey && !assignment->second.empty()) {
      auto route = net::parse_fixed_route(assignment->second);
      if (!route) return report_error("route: " + route.error().message);
    }
    changes.push_back(std::move(*assignment));
  }
  int64_t batv_lifetime_days = 0;  // F-BATV: for the first key, made with the first batv=on
  for (const auto& change : changes) {
    if (change.first != kBatvKey) continue;
    auto config = load_node_config(options);
    if (!config) return report_error(config.error().message);
    batv_lifetime_days = config->batv.tag_lifetime_days;
    break;
  }
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  store::DomainRepository domains(*db);
  auto updated = db->transaction([&]() -> Result<store::Domain> {
    auto domain = domains.get(args.name);
    if (!domain) return domain;
    store::DomainRouting routing(*db);
    for (const auto& [key, value] : changes) {
      if (key == kSpamThresholdKey) {
        auto set = domains.set_spam_threshold(domain->name, *parse_spam_threshold(value));
        if (!set) return tl::unexpected(set.error());
        continue;
      }
      if (key == kBatvKey) {  // F-BATV: the first key is made when it is first turned on
        auto set = store::BatvKeyRepository(*db).set_domain_batv(
            domain->name, *parse_batv_switch(value), store::unix_now(), batv_lifetime_days);
        if (!set) return tl::unexpected(set.error());
        continue;
      }
      auto set = key == kAdminContactKey ? domains.set_admin_contact(domain->name, value)
                 : key == kRouteKey      ? routing.set_route(domain->name, value)
                                         : domains.set_dkim_selector(domain->name, value);
      if (!set) return tl::unexpected(set.error());
    }
    for (const auto& alias : args.add_aliases)
      if (auto r = routing.add_alias(domain->name, alias); !r) return tl::unexpected(r.error());
    for (const auto& alias : args.remove_aliases)
      if (auto r = routing.remove_alias(domain->name, alias); !r) return tl::unexpected(r.error());
    return domain;
  });
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
