// The command-line surface (SPEC section 7): global options and the registration of each command
// group. Each group lives in its own file (cli_domain.cpp, cli_user.cpp, cli_serve.cpp, ...).
#pragma once
#include <functional>
#include <string>

#include "config/config.hpp"

namespace CLI {
class App;
}

namespace pw::app {

struct GlobalOptions {
  std::string data_dir;     // --data-dir or POSTWARDEN_DATA_DIR
  std::string config_file;  // --config; "" = <data-dir>/postwarden.toml when it exists
};

// A command's work, run after parsing; returns the process exit status.
using Action = std::function<int(const GlobalOptions&)>;

// Each register_* adds its subcommands and stores the chosen one's work in `action`.
void register_serve_command(CLI::App& app, Action& action);
void register_config_commands(CLI::App& app, Action& action);
void register_domain_commands(CLI::App& app, Action& action);
void register_user_commands(CLI::App& app, Action& action);
void register_queue_commands(CLI::App& app, Action& action);
void register_log_commands(CLI::App& app, Action& action);
void register_quarantine_commands(CLI::App& app, Action& action);
void register_archive_commands(CLI::App& app, Action& action);
void register_identity_commands(CLI::App& app, Action& action);
void register_nrd_commands(CLI::App& app, Action& action);
void register_hash_commands(CLI::App& app, Action& action);  // F-FUZZY
void register_batv_commands(CLI::App& app, Action& action);  // F-BATV
void register_dkim_commands(CLI::App& app, Action& action);  // F-DKIM

// `admin add|list|remove`: panel accounts (F-PANEL).
void register_admin_commands(CLI::App& app, Action& action);
// `train` and `scan` (F-SPAM).
void register_scan_commands(CLI::App& app, Action& action);
// Adds `log decisions` to the `log` group: call after register_log_commands.
void register_decision_commands(CLI::App& app, Action& action);

// Loads the configuration that `options` name (defaults when no file is there).
Result<config::Config> load_node_config(const GlobalOptions& options);

// Prints "postwarden: <message>" on stderr and returns 1.
int report_error(const std::string& message);

}  // namespace pw::app
