// `postwarden batv rotate|list` (F-BATV): the keys of the prvs= tags on outgoing envelope
// senders. A rotation bumps the config generation, so a running gateway tags with the new key
// at its next reload while the previous keys keep verifying until their tags have expired.
// Secrets are never printed.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/cli.hpp"
#include "app/cli_output.hpp"
#include "batv/batv_keys.hpp"
#include "batv/prvs.hpp"
#include "store/batv_key_repository.hpp"
#include "store/node_database.hpp"
#include "store/statement.hpp"

namespace pw::app {
namespace {

constexpr int64_t kSecondsPerDay = 86400;

struct BatvArgs {
  bool json = false;
};

struct KeyView {
  std::string state;           // current, verifying, expired, retired
  int64_t verifies_until = 0;  // last second a tag made with it verifies; 0 = open-ended
};

KeyView view_of(const store::BatvKey& key, int64_t now, int64_t lifetime_days) {
  if (key.retired_at) return {"retired", 0};
  if (key.superseded_at == 0) return {"current", 0};
  int64_t until = (batv::day_number(key.superseded_at) + lifetime_days + 1) * kSecondsPerDay - 1;
  return {now > until ? "expired" : "verifying", until};
}

int rotate_key(const GlobalOptions& options) {
  auto config = load_node_config(options);
  if (!config) return report_error(config.error().message);
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  auto key = batv::BatvKeys(*db).rotate(store::unix_now(), config->batv.tag_lifetime_days);
  if (!key) return report_error(key.error().message);
  std::cout << "new BATV key " << key->number << " is current; earlier keys verify their tags for "
            << config->batv.tag_lifetime_days << " more days\n";
  return 0;
}

int list_keys(const GlobalOptions& options, const BatvArgs& args) {
  auto config = load_node_config(options);
  if (!config) return report_error(config.error().message);
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  auto keys = store::BatvKeyRepository(*db).list();
  if (!keys) return report_error(keys.error().message);
  const int64_t now = store::unix_now();
  const int64_t lifetime = config->batv.tag_lifetime_days;
  if (args.json) {
    auto out = nlohmann::json::array();
    for (const auto& key : *keys) {
      auto view = view_of(key, now, lifetime);
      out.push_back(
          {{"number", key.number},
           {"state", view.state},
           {"created", format_time(key.created_at)},
           {"superseded", key.superseded_at ? nlohmann::json(format_time(key.superseded_at))
                                            : nlohmann::json(nullptr)},
           {"verifies_until", view.verifies_until ? nlohmann::json(format_time(view.verifies_until))
                                                  : nlohmann::json(nullptr)},
           {"retired", key.retired_at ? nlohmann::json(format_time(*key.retired_at))
                                      : nlohmann::json(nullptr)}});
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& key : *keys) {
    auto view = view_of(key, now, lifetime);
    rows.push_back({std::to_string(key.number), view.state, format_time(key.created_at),
                    view.verifies_until ? format_time(view.verifies_until) : "-",
                    key.retired_at ? format_time(*key.retired_at) : "-"});
  }
  print_table(std::cout, {"KEY", "STATE", "CREATED", "VERIFIES UNTIL", "RETIRED"}, rows);
  return 0;
}

}  // namespace

void register_batv_commands(CLI::App& app, Action& action) {
  auto args = std::make_shared<BatvArgs>();
  auto* batv_cmd =
      app.add_subcommand("batv", "Bounce address tag validation keys (prvs= envelope senders)");
  batv_cmd->require_subcommand(1);

  auto* rotate = batv_cmd->add_subcommand(
      "rotate",
      "Make a new tag key (next number mod 10); earlier keys verify until their tags "
      "expire");
  rotate->callback(
      [&action] { action = [](const GlobalOptions& options) { return rotate_key(options); }; });

  auto* list = batv_cmd->add_subcommand("list", "List the tag keys (never their secrets)");
  list->add_flag("--json", args->json, "Print a JSON array");
  list->callback([&action, args] {
    action = [args](const GlobalOptions& options) { return list_keys(options, *args); };
  });
}

}  // namespace pw::app
