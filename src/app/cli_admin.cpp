// `postwarden admin add|list|remove`: panel accounts (F-PANEL), through the account service that
// the REST API uses too. `admin add` makes the first admin of a new node.
// Trust: arguments and the password on stdin come from the admin; a password is never echoed,
// except a generated one, printed once.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/cli.hpp"
#include "app/cli_output.hpp"
#include "auth/password.hpp"
#include "service/account_service.hpp"
#include "store/node_database.hpp"

namespace pw::app {
namespace {

// Length of a generated password (unless auth.password_min_length asks for more), as for
// senders: 20 characters of 55 symbols carry about 115 bits.
constexpr size_t kGeneratedPasswordLength = 20;

struct AdminArgs {
  std::string username;
  std::string role = "admin";
  std::string domain;
  bool password_stdin = false;
  bool json = false;
};

int add_account(const GlobalOptions& options, const AdminArgs& args) {
  auto role = service::parse_role(args.role);
  if (!role) return report_error(role.error().message);
  auto config = load_node_config(options);
  if (!config) return report_error(config.error().message);
  std::string password, generated;
  if (args.password_stdin) {
    if (!std::getline(std::cin, password) && password.empty())
      return report_error("no password on standard input (--password-stdin reads one line)");
    if (!password.empty() && password.back() == '\r') password.pop_back();
  } else {
    auto made = auth::generate_password(
        std::max(kGeneratedPasswordLength, static_cast<size_t>(config->auth.password_min_length)));
    if (!made) return report_error(made.error().message);
    password = generated = *made;
  }
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  service::AccountService accounts(*db, *config);
  auto added = accounts.add(service::Actor::cli(), args.username, *role, args.domain, password);
  if (!added) return report_error(added.error().message);
  std::cout << "added account " << added->username << " (" << service::to_string(added->role)
            << (added->domain.empty() ? "" : " of " + added->domain) << ")\n";
  if (!generated.empty()) std::cout << "password: " << generated << "\n";
  return 0;
}

int list_accounts(const GlobalOptions& options, const AdminArgs& args) {
  auto config = load_node_config(options);
  if (!config) return report_error(config.error().message);
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  auto list = service::AccountService(*db, *config).list(service::Actor::cli());
  if (!list) return report_error(list.error().message);
  if (args.json) {
    auto out = nlohmann::json::array();
    for (const auto& a : *list)
      out.push_back(
          {{"username", a.username},
           {"role", service::to_string(a.role)},
           {"domain", a.domain.empty() ? nlohmann::json(nullptr) : nlohmann::json(a.domain)},
           {"created", format_time(a.created_at)}});
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& a : *list)
    rows.push_back(
        {a.username, std::string(service::to_string(a.role)), a.domain, format_time(a.created_at)});
  print_table(std::cout, {"USERNAME", "ROLE", "DOMAIN", "CREATED"}, rows);
  return 0;
}

int remove_account(const GlobalOptions& options, const AdminArgs& args) {
  auto config = load_node_config(options);
  if (!config) return report_error(config.error().message);
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  auto removed = service::AccountService(*db, *config).remove(service::Actor::cli(), args.username);
  if (!removed) return report_error(removed.error().message);
  std::cout << "removed account " << args.username << "\n";
  return 0;
}

}  // namespace

void register_admin_commands(CLI::App& app, Action& action) {
  auto args = std::make_shared<AdminArgs>();
  auto* admin_cmd = app.add_subcommand("admin", "Panel and API accounts (F-PANEL)");
  admin_cmd->require_subcommand(1);

  auto* add = admin_cmd->add_subcommand("add", "Add an account (prints a generated password)");
  add->add_option("username", args->username, "Account name")->required();
  add->add_option("--role", args->role, "admin (everything) or domain (one domain)")
      ->check(CLI::IsMember({"admin", "domain"}));
  add->add_option("--domain", args->domain, "The domain of a domain account");
  add->add_flag("--password-stdin", args->password_stdin,
                "Read the password from one line of stdin");
  add->callback([&action, args] {
    action = [args](const GlobalOptions& options) { return add_account(options, *args); };
  });

  auto* list = admin_cmd->add_subcommand("list", "List the accounts");
  list->add_flag("--json", args->json, "Print a JSON array");
  list->callback([&action, args] {
    action = [args](const GlobalOptions& options) { return list_accounts(options, *args); };
  });

  auto* remove = admin_cmd->add_subcommand("remove", "Remove an account (not the last admin)");
  remove->add_option("username", args->username, "Account name")->required();
  remove->callback([&action, args] {
    action = [args](const GlobalOptions& options) { return remove_account(options, *args); };
  });
}

}  // namespace pw::app
