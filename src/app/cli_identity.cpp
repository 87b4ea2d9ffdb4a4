// `postwarden identity list|add|lock|unlock` (F-IDENT, F-LOCK-ID: "Manage identities") and
// `postwarden template list|show|set` (F-LOCK-TEMPLATE: the lock template and its placeholders).
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/cli.hpp"
#include "app/cli_output.hpp"
#include "auth/name_syntax.hpp"
#include "policy/counter_store.hpp"
#include "policy/lock_book.hpp"
#include "policy/policy_snapshot.hpp"
#include "store/node_database.hpp"
#include "store/statement.hpp"
#include "store/user_repository.hpp"

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

constexpr size_t kMaxIdentity = 256;

Result<void> check_identity(const std::string& identity) {
  if (identity.empty() || identity.size() > kMaxIdentity)
    return fail("an identity is 1 to " + std::to_string(kMaxIdentity) + " characters");
  for (char c : identity)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return fail("an identity may not contain control characters");
  return {};
}

int list_identities(const GlobalOptions& options, const IdentityArgs& args) {
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  std::string sql =
      "SELECT d.name, u.name, i.identity, i.manual, i.created_at, i.last_seen_at, i.messages "
      "FROM identities i JOIN users u ON u.id = i.user_id JOIN domains d ON d.id = u.domain_id "
      "WHERE (?1 = '' OR d.name = ?1 COLLATE NOCASE) AND (?2 = '' OR u.name = ?2 COLLATE "
      "NOCASE) ORDER BY d.name, u.name, i.identity";
  auto stmt = store::query(*db, sql, {args.domain, args.user});
  if (!stmt) return report_error(stmt.error().message);
  nlohmann::json out = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  const int64_t now = store::unix_now();
  for (;;) {
    auto row = store::next_row(*db, stmt->get());
    if (!row) return report_error(row.error().message);
    if (!*row) break;
    std::string domain = store::column_text(stmt->get(), 0);
    std::string user = store::column_text(stmt->get(), 1);
    std::string identity = store::column_text(stmt->get(), 2);
    std::string subject = policy::identity_subject(user, identity);
    auto lock = policy::read_lock(*db, subject);
    if (!lock) return report_error(lock.error().message);
    auto day = policy::CounterStore::read_sums(*db, subject, 86400, now);
    if (!day) return report_error(day.error().message);
    bool locked = *lock && (*lock)->locked && ((*lock)->unlock_at == 0 || (*lock)->unlock_at > now);
    nlohmann::json j = {{"domain", domain},
                        {"user", user},
                        {"identity", identity},
                        {"manual", store::column_int(stmt->get(), 3) != 0},
                        {"created", format_time(store::column_int(stmt->get(), 4))},
                        {"last_seen", format_time(store::column_int(stmt->get(), 5))},
                        {"messages", store::column_int(stmt->get(), 6)},
                        {"locked", locked},
                        {"lock_time", *lock && locked ? format_time((*lock)->locked_at) : ""},
                        {"reason", *lock && locked ? (*lock)->reason : ""},
                        {"automatic_unlocks", *lock ? (*lock)->automatic_unlocks : 0},
                        {"counters_24h", *day}};
    rows.push_back({domain, user, identity, j["lock_time"], j["reason"], locked ? "yes" : "no",
                    std::to_string(j["automatic_unlocks"].get<int64_t>()),
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

Result<store::User> find_user(store::Database& db, const std::string& name) {
  return store::UserRepository(db).get(name);
}

int add_identity(const GlobalOptions& options, const IdentityArgs& args) {
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  if (auto ok = check_identity(args.identity); !ok) return report_error(ok.error().message);
  auto user = find_user(*db, args.user);
  if (!user) return report_error(user.error().message);
  auto r = store::run(*db,
                      "INSERT INTO identities(user_id, identity, manual, created_at) VALUES (?1, "
                      "?2, 1, ?3) ON CONFLICT(user_id, identity) DO UPDATE SET manual = 1",
                      {user->id, args.identity, store::unix_now()});
  if (!r) return report_error(r.error().message);
  std::cout << "added identity " << args.identity << " of " << user->name << "\n";
  return 0;
}

int lock_identity(const GlobalOptions& options, const IdentityArgs& args, bool lock) {
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  if (auto ok = check_identity(args.identity); !ok) return report_error(ok.error().message);
  auto user = find_user(*db, args.user);
  if (!user) return report_error(user.error().message);
  std::string subject = policy::identity_subject(user->name, args.identity);
  auto state = lock ? policy::admin_lock(*db, subject, args.reason, store::unix_now())
                    : policy::admin_unlock(*db, subject, args.reset_unlocks);
  if (!state) return report_error(state.error().message);
  if (lock)  // a locked identity is listed even before it sent anything
    (void)store::run(*db,
                     "INSERT OR IGNORE INTO identities(user_id, identity, manual, created_at) "
                     "VALUES (?1, ?2, 1, ?3)",
                     {user->id, args.identity, store::unix_now()});
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
  auto snapshot = policy::load_policy_snapshot(*db);
  if (!snapshot) return report_error(snapshot.error().message);
  auto tpl = (*snapshot)->lock_template(args.name);
  bool stored = (*snapshot)->templates.count(args.name) > 0;
  if (args.json) {
    std::cout << nlohmann::json{{"name", args.name},
                                {"subject", tpl.subject},
                                {"body", tpl.body},
                                {"built_in", !stored}}
                     .dump(2)
              << "\n";
    return 0;
  }
  std::cout << "name:    " << args.name << (stored ? "" : " (built-in)") << "\n"
            << "subject: " << tpl.subject << "\n"
            << "placeholders: {user} {identity} {domain} {reason} {time} {unlock_at} {contact}\n\n"
            << tpl.body;
  return 0;
}

int set_template(const GlobalOptions& options, const TemplateArgs& args) {
  if (args.name.empty() || args.name.size() > 64)
    return report_error("a template name is 1-64 characters");
  std::ifstream in(args.body_file, std::ios::binary);
  if (!in) return report_error("cannot read " + args.body_file);
  std::stringstream body;
  body << in.rdbuf();
  if (body.str().empty() || body.str().size() > 65536)
    return report_error("a template body is 1 to 65536 bytes");
  if (args.subject.empty() || args.subject.size() > 200 ||
      args.subject.find_first_of("\r\n") != std::string::npos)
    return report_error("a template subject is one line of 1 to 200 characters");
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  auto r = db->transaction([&]() -> Result<void> {
    auto put = store::run(*db,
                          "INSERT INTO templates(name, subject, body, updated_at) VALUES (?1, ?2, "
                          "?3, ?4) ON CONFLICT(name) DO UPDATE SET subject = excluded.subject, "
                          "body = excluded.body, updated_at = excluded.updated_at",
                          {args.name, args.subject, body.str(), store::unix_now()});
    if (!put) return tl::unexpected(put.error());
    // The running gateway reloads its policy snapshot when the generation moves.
    auto bump =
        store::run(*db, "UPDATE meta SET value = value + 1 WHERE key = 'config_generation'", {});
    if (!bump) return tl::unexpected(bump.error());
    return {};
  });
  if (!r) return report_error(r.error().message);
  std::cout << "stored template " << args.name << "\n";
  return 0;
}

}  // namespace

void register_identity_commands(CLI::App& app, Action& action) {
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

}  // namespace pw::app
