// postwarden: one binary for the gateway (`serve`) and its admin commands.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "app/cli.hpp"

int main(int argc, char** argv) {
  CLI::App app{"postwarden: outgoing mail filtering gateway"};
  app.require_subcommand(1);
  app.set_version_flag("--version", PW_VERSION);
  pw::app::GlobalOptions options;
  if (const char* env = std::getenv("POSTWARDEN_DATA_DIR")) options.data_dir = env;
  // Global options are accepted anywhere on the line, before or after the subcommand.
  app.add_option("--data-dir", options.data_dir, "Directory holding everything the node keeps")
      ->envname("POSTWARDEN_DATA_DIR")
      ->configurable(false);
  app.add_option("--config", options.config_file, "TOML configuration file");
  app.fallthrough(true);

  pw::app::Action action;
  pw::app::register_serve_command(app, action);
  pw::app::register_config_commands(app, action);
  pw::app::register_domain_commands(app, action);
  pw::app::register_user_commands(app, action);
  pw::app::register_queue_commands(app, action);
  pw::app::register_log_commands(app, action);
  pw::app::register_quarantine_commands(app, action);
  pw::app::register_archive_commands(app, action);
  pw::app::register_identity_commands(app, action);
  pw::app::register_decision_commands(app, action);
  pw::app::register_nrd_commands(app, action);
  pw::app::register_hash_commands(app, action);
  pw::app::register_dkim_commands(app, action);
  pw::app::register_scan_commands(app, action);
  pw::app::register_batv_commands(app, action);
  pw::app::register_admin_commands(app, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "postwarden: " << e.what() << "\n";
    return 2;
  }
  if (!action) return pw::app::report_error("no command given");
  try {
    return action(options);
  } catch (const std::exception& e) {
    return pw::app::report_error(e.what());
  }
}
