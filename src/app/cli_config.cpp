// `postwarden config reference|check`: the generated configuration reference and a validator.
#include <CLI/CLI.hpp>
#include <iostream>

#include "app/cli.hpp"

namespace pw::app {

void register_config_commands(CLI::App& app, Action& action) {
  auto* config_cmd = app.add_subcommand("config", "Configuration reference and checks");
  config_cmd->require_subcommand(1);
  config_cmd->add_subcommand("reference", "Print the configuration reference (Markdown)")
      ->callback([&action] {
        action = [](const GlobalOptions&) {
          std::cout << config::reference_markdown();
          return 0;
        };
      });
  config_cmd->add_subcommand("check", "Validate the configuration file and exit")
      ->callback([&action] {
        action = [](const GlobalOptions& options) {
          auto config = load_node_config(options);
          if (!config) return report_error(config.error().message);
          std::cout << "configuration ok\n";
          return 0;
        };
      });
}

}  // namespace pw::app
