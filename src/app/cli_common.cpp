// Helpers shared by the command groups.
#include <filesystem>
#include <iostream>

#include "app/cli.hpp"

namespace pw::app {

int report_error(const std::string& message) {
  std::cerr << "postwarden: " << message << "\n";
  return 1;
}

Result<config::Config> load_node_config(const GlobalOptions& options) {
  if (!options.config_file.empty()) return config::load_config(options.config_file);
  if (!options.data_dir.empty()) {
    auto candidate = std::filesystem::path(options.data_dir) / "postwarden.toml";
    if (std::filesystem::exists(candidate)) return config::load_config(candidate.string());
  }
  return config::default_config();
}

}  // namespace pw::app
