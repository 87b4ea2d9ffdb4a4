// `postwarden user add|list|show|remove|set`: senders (F-AUTH-IP, F-AUTH-USER, F-AUTH-DOMAIN).
// Trust: arguments and the password on stdin come from the admin; a password is never echoed,
// except a generated one, printed once.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/cli.hpp"
#include "app/cli_output.hpp"
#include "mail/name_syntax.hpp"
#include "policy/counter_store.hpp"
#include "policy/lock_book.hpp"
#include "policy/user_settings.hpp"
#include "service/user_service.hpp"
#include "store/node_database.hpp"
#include "store/statement.hpp"
#include "store/user_repository.hpp"
#include "util/ip_address.hpp"

namespace pw::app {
namespace {

constexpr std::string_view kIpChangeRefused =
    "the IP of a user cannot be changed; remove the user and add a new one";

struct UserArgs {
  // Which of the kind options `user add` was given, counted by CLI11 so that an empty value
  // (--ip "") is reported as a bad value, not as a missing option.
  bool ip_given = false;
  bool user_given = false;
  bool domain_given = false;
  std::string ip;
  std::string owner;
  std::string user;
  std::string domain;
  bool password_stdin = false;
  bool force = false;  // user add --ip: a catch-all range anyway (audited)
  bool json = false;
  std::string name;
  std::vector<std::string> assignments;
  std::string reason;          // user lock
  bool reset_unlocks = false;  // user unlock
  // `user set NAME --ip|--cidr|--name X`: accepted only to refuse with the rule.
  std::string new_ip;
  bool rename_requested = false;
};

// One line from stdin without its line ending; an error at end of input.
service::Outcome<std::string> read_password_line() {
  std::string line;
  if (!std::getline(std::cin, line) && line.empty()) {
    return service::invalid("no password on standard input (--password-stdin reads one line)");
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

Result<service::PasswordRules> password_rules(const GlobalOptions& options) {
  auto config = load_node_config(options);
  if (!config) return tl::unexpected(config.error());
  return service::PasswordRules::from(*config);
}

nlohmann::json user_json(const store::User& user, bool with_settings) {
  nlohmann::json out = {{"name", user.name},
                        {"kind", mail::to_string(user.kind)},
                        {"domain", user.domain},
                        {"has_password", user.has_password},
                        {"created", format_time(user.created_at)},
                        {"updated", format_time(user.updated_at)}};
  if (with_settings) {
    // Every setting with its effective value; `stored` holds only what was set explicitly.
    nlohmann::json settings = nlohmann::json::object();
    nlohmann::json details = nlohmann::json::array();
    for (const auto& v : policy::effective_settings(user.settings)) {
      settings[std::string(v.def->key)] = v.value;
      details.push_back({{"key", v.def->key},
                         {"value", v.value},
                         {"default", v.def->default_value},
                         {"is_default", v.is_default},
                         {"unit", v.def->unit},
                         {"help", v.def->help}});
    }
    out["settings"] = settings;
    out["settings_detail"] = details;
    out["stored_settings"] = user.settings;
  }
  return out;
}

int add_user(const GlobalOptions& options, const UserArgs& args) {
  int kinds = args.ip_given + args.user_given + args.domain_given;
  if (kinds != 1) {
    return report_error("give exactly one of --ip CIDR, --user EMAIL, --domain DOMAIN");
  }
  if (args.ip_given && args.owner.empty()) {
    return report_error("--ip needs --owner DOMAIN: the domain the address or range belongs to");
  }
  if (!args.ip_given && !args.owner.empty()) {
    return report_error("--owner goes with --ip only; a user's domain is in its name");
  }
  if (args.ip_given && args.password_stdin) {
    return report_error("an IP user has no password: it is identified by its address");
  }
  if (args.force && !args.ip_given) return report_error("--force goes with --ip only");

  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  service::NewUser request;
  request.kind = args.ip_given     ? mail::SenderKind::kIp
                 : args.user_given ? mail::SenderKind::kUser
                                   : mail::SenderKind::kDomain;
  request.name = args.ip_given ? args.ip : args.user_given ? args.user : args.domain;
  request.owner = args.owner;
  request.force = args.force;
  if (args.password_stdin) request.password = read_password_line;
  auto config = load_node_config(options);  // password rules and IP range rules
  if (!config) return report_error(config.error().message);
  auto added =
      service::add_user(*db, service::Actor::cli(), request, service::PasswordRules::from(*config),
                        service::IpRangeRules::from(*config));
  if (!added) return report_error(added.error().message);
  std::cout << "added user " << added->user.name << " (" << mail::to_string(added->user.kind)
            << ") in " << added->user.domain << "\n";
  if (!added->generated_password.empty())
    std::cout << "password: " << added->generated_password << "\n";
  return 0;
}

int list_users(const GlobalOptions& options, const UserArgs& args) {
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  service::UserFilter filter;
  filter.domain = args.domain;
  auto users = service::list_users(*db, service::Actor::cli(), filter);
  if (!users) return report_error(users.error().message);
  if (args.json) {
    auto out = nlohmann::json::array();
    for (const auto& item : *users) out.push_back(user_json(item.user, false));
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& item : *users) {
    const auto& user = item.user;
    rows.push_back({user.name, std::string(mail::to_string(user.kind)), user.domain,
                    format_time(user.created_at)});
  }
  print_table(std::cout, {"NAME", "KIND", "DOMAIN", "CREATED"}, rows);
  return 0;
}

int show_user(const GlobalOptions& options, const UserArgs& args) {
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  auto detail = service::user_detail(*db, service::Actor::cli(), args.name);
  if (!detail) return report_error(detail.error().message);
  const auto* user = &detail->user;
  const auto& lock = detail->lock;
  const auto* counters_hour = &detail->counters_1h;
  const auto* counters_day = &detail->counters_24h;
  bool locked = detail->locked;
  if (args.json) {
    auto out = user_json(*user, true);
    nlohmann::json l = {{"locked", locked}};
    if (lock) {
      l["reason"] = lock->reason;
      l["locked_at"] = lock->locked_at;
      l["unlock_at"] = lock->unlock_at;
      l["automatic_unlocks"] = lock->automatic_unlocks;
      l["locked_by"] = lock->locked_by;
    }
    out["lock"] = l;
    out["counters_1h"] = *counters_hour;
    out["counters_24h"] = *counters_day;
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << "name:     " << user->name << "\n"
            << "kind:     " << mail::to_string(user->kind) << "\n"
            << "domain:   " << user->domain << "\n"
            << "password: "
            << (user->kind == mail::SenderKind::kIp ? "none (identified by its address)"
                                                    : (user->has_password ? "set" : "not set"))
            << "\n"
            << "created:  " << format_time(user->created_at) << "\n"
            << "updated:  " << format_time(user->updated_at) << "\n"
            << "locked:   "
            << (locked ? lock->reason + " (since " + format_time(lock->locked_at) + ", " +
                             (lock->unlock_at ? "until " + format_time(lock->unlock_at)
                                              : std::string("until an administrator unlocks")) +
                             ")"
                       : std::string("no"))
            << "\n"
            << "automatic unlocks: " << (lock ? lock->automatic_unlocks : 0) << "\n"
            << "counters (last hour / last 24 hours):\n";
  for (const auto& [kind, value] : *counters_hour)
    std::cout << "  " << kind << "=" << value << " / " << counters_day->at(kind) << "\n";
  std::cout << "settings (value, then the default when it differs):\n";
  for (const auto& v : policy::effective_settings(user->settings)) {
    std::string shown = v.value.empty() ? "\"\"" : v.value;
    std::cout << "  " << v.def->key << "=" << shown;
    if (!v.def->unit.empty()) std::cout << " " << v.def->unit;
    if (!v.is_default)
      std::cout << "  (default "
                << (v.def->default_value.empty() ? "\"\"" : std::string(v.def->default_value))
                << ")";
    std::cout << "\n";
  }
  return 0;
}

int remove_user(const GlobalOptions& options, const UserArgs& args) {
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  auto user = service::remove_user(*db, service::Actor::cli(), args.name);
  if (!user) return report_error(user.error().message);
  std::cout << "removed user " << user->name << " (" << mail::to_string(user->kind) << ") from "
            << user->domain << "\n";
  return 0;
}

int set_user(const GlobalOptions& options, const UserArgs& args) {
  std::vector<std::pair<std::string, std::string>> settings;
  for (const auto& text : args.assignments) {
    auto assignment = parse_assignment(text);
    if (!assignment) return report_error(assignment.error().message);
    settings.push_back(std::move(*assignment));
  }
  if (settings.empty() && !args.password_stdin && !args.rename_requested) {
    return report_error("nothing to change: give --password-stdin and/or key=value settings");
  }

  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  auto user = service::get_user(*db, service::Actor::cli(), args.name);
  if (!user) return report_error(user.error().message);
  if (args.rename_requested) {
    return report_error(user->kind == mail::SenderKind::kIp
                            ? std::string(kIpChangeRefused)
                            : "the name of a user cannot be changed; remove the user and add a "
                              "new one");
  }
  service::PasswordRules rules;
  if (args.password_stdin && user->kind != mail::SenderKind::kIp) {
    auto loaded = password_rules(options);
    if (!loaded) return report_error(loaded.error().message);
    rules = *loaded;
  }
  service::PasswordSource password;
  if (args.password_stdin) password = read_password_line;
  auto updated =
      service::change_user(*db, service::Actor::cli(), user->name, settings, password, rules);
  if (!updated) return report_error(updated.error().message);
  std::cout << "updated user " << user->name << "\n";
  return 0;
}

}  // namespace

// F-LOCK: an administrator locks or unlocks a user by hand; the running gateway sees the change
// at its next reload (the locks table bumps the config generation).
int lock_user(const GlobalOptions& options, const UserArgs& args, bool lock) {
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  auto user = lock
                  ? service::lock_user(*db, service::Actor::cli(), args.name, args.reason)
                  : service::unlock_user(*db, service::Actor::cli(), args.name, args.reset_unlocks);
  if (!user) return report_error(user.error().message);
  std::cout << (lock ? "locked user " : "unlocked user ") << user->name
            << (args.reset_unlocks ? " (automatic unlocks reset)" : "") << "\n";
  return 0;
}

int reset_user_counters(const GlobalOptions& options, const UserArgs& args) {
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  auto user = service::reset_user_counters(*db, service::Actor::cli(), args.name);
  if (!user) return report_error(user.error().message);
  std::cout << "reset the counters of " << user->name
            << " (a running gateway keeps its own until restart)\n";
  return 0;
}

namespace {

// user add, list, show.
void register_user_records(CLI::App* user_cmd, Action& action,
                           const std::shared_ptr<UserArgs>& args) {
  auto* add = user_cmd->add_subcommand(
      "add", "Add a sender: an IP or range (--ip with --owner), a user or a domain user");
  auto* ip = add->add_option("--ip", args->ip, "IPv4/IPv6 address or CIDR range that may relay");
  add->add_option("--owner", args->owner, "Domain an --ip sender belongs to");
  auto* user = add->add_option("--user", args->user, "E-mail address of a password user");
  auto* domain = add->add_option("--domain", args->domain, "Domain name of a domain user");
  add->add_flag("--password-stdin", args->password_stdin,
                "Read the password from one line of stdin (else one is generated and printed)");
  add->add_flag("--force", args->force,
                "With --ip: add a catch-all range (wider than [policy] widest_prefix_v4/v6) "
                "anyway; logged as event=ip_user_forced");
  add->callback([&action, args, ip, user, domain] {
    args->ip_given = ip->count() > 0;
    args->user_given = user->count() > 0;
    args->domain_given = domain->count() > 0;
    action = [args](const GlobalOptions& options) { return add_user(options, *args); };
  });

  auto* list = user_cmd->add_subcommand("list", "List the senders");
  list->add_option("--domain", args->domain, "Only the senders of this domain");
  list->add_flag("--json", args->json, "Print a JSON array");
  list->callback([&action, args] {
    action = [args](const GlobalOptions& options) { return list_users(options, *args); };
  });

  auto* show = user_cmd->add_subcommand("show", "Show one sender and its settings");
  show->add_option("name", args->name, "CIDR, e-mail address or domain name")->required();
  show->add_flag("--json", args->json, "Print a JSON object");
  show->callback([&action, args] {
    action = [args](const GlobalOptions& options) { return show_user(options, *args); };
  });
}

// user lock, unlock, reset-counters, remove, set.
void register_user_changes(CLI::App* user_cmd, Action& action,
                           const std::shared_ptr<UserArgs>& args) {
  auto* lock = user_cmd->add_subcommand("lock", "Lock a sender: its mail is refused");
  lock->add_option("name", args->name, "CIDR, e-mail address or domain name")->required();
  lock->add_option("--reason", args->reason, "Why (shown to the sender and in the log)");
  lock->callback([&action, args] {
    action = [args](const GlobalOptions& options) { return lock_user(options, *args, true); };
  });
  auto* unlock = user_cmd->add_subcommand("unlock", "Unlock a locked sender");
  unlock->add_option("name", args->name, "CIDR, e-mail address or domain name")->required();
  unlock->add_flag("--reset-unlocks", args->reset_unlocks,
                   "Also reset the count of automatic unlocks (timeouts apply again)");
  unlock->callback([&action, args] {
    action = [args](const GlobalOptions& options) { return lock_user(options, *args, false); };
  });
  auto* reset = user_cmd->add_subcommand("reset-counters", "Forget a sender's counters");
  reset->add_option("name", args->name, "CIDR, e-mail address or domain name")->required();
  reset->callback([&action, args] {
    action = [args](const GlobalOptions& options) { return reset_user_counters(options, *args); };
  });
  auto* remove = user_cmd->add_subcommand("remove", "Remove a sender");
  remove->add_option("name", args->name, "CIDR, e-mail address or domain name")->required();
  remove->callback([&action, args] {
    action = [args](const GlobalOptions& options) { return remove_user(options, *args); };
  });

  auto* set = user_cmd->add_subcommand("set", "Change a sender's password or settings");
  set->add_option("name", args->name, "CIDR, e-mail address or domain name")->required();
  set->add_flag("--password-stdin", args->password_stdin,
                "Read a new password from one line of stdin");
  set->add_option("settings", args->assignments, "key=value settings (an empty value clears)");
  // The IP of an IP user never changes (F-AUTH-IP): these exist to say so, not to do it.
  set->add_option("--ip,--cidr,--name", args->new_ip)
      ->each([args](const std::string&) { args->rename_requested = true; })
      ->group("");
  set->callback([&action, args] {
    action = [args](const GlobalOptions& options) { return set_user(options, *args); };
  });
}

}  // namespace

void register_user_commands(CLI::App& app, Action& action) {
  auto args = std::make_shared<UserArgs>();
  auto* user_cmd = app.add_subcommand("user", "Manage the senders (users) of the domains");
  user_cmd->require_subcommand(1);
  register_user_records(user_cmd, action, args);
  register_user_changes(user_cmd, action, args);
}

}  // namespace pw::app
