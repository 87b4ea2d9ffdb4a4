// `postwarden nrd import|list|check` (F-NRD): the feed of newly registered domains. An import
// bumps the config generation, so a running gateway loads the recent domains at its next reload.
#include <CLI/CLI.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/cli.hpp"
#include "app/cli_output.hpp"
#include "mail/name_syntax.hpp"
#include "scan/nrd_feed.hpp"
#include "store/new_domain_repository.hpp"
#include "store/node_database.hpp"
#include "store/statement.hpp"

namespace pw::app {
namespace {

struct NrdArgs {
  std::string file;
  std::string domain;
  bool json = false;
};

std::string age_text(int64_t seconds) {
  if (seconds < 0) return "in the future";
  if (seconds < 3600) return std::to_string(seconds / 60) + " min ago";
  if (seconds < 2 * 86400) return std::to_string(seconds / 3600) + " h ago";
  return std::to_string(seconds / 86400) + " d ago";
}

int import_feed(const GlobalOptions& options, const NrdArgs& args) {
  std::string text;
  {
    std::stringstream buffer;
    if (args.file == "-") {
      buffer << std::cin.rdbuf();
    } else {
      std::ifstream in(args.file, std::ios::binary);
      if (!in) return report_error("cannot read " + args.file);
      buffer << in.rdbuf();
    }
    text = buffer.str();
  }
  auto started = std::chrono::steady_clock::now();
  auto entries = scan::parse_nrd_csv(text);
  if (!entries)
    return report_error(args.file + ": " + entries.error().message + " (nothing imported)");
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  const int64_t now = store::unix_now();
  std::vector<store::NewDomainRecord> records;
  records.reserve(entries->size());
  for (auto& entry : *entries)
    records.push_back({std::move(entry.domain), entry.registered_at, now});
  auto imported = store::NewDomainRepository(*db).import(records);
  if (!imported) return report_error(imported.error().message);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  started)
                .count();
  std::cout << "imported " << *imported << " domain(s) in " << ms << " ms\n";
  return 0;
}

int list_feed(const GlobalOptions& options, const NrdArgs& args) {
  auto config = load_node_config(options);
  if (!config) return report_error(config.error().message);
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  auto records = store::NewDomainRepository(*db).list();
  if (!records) return report_error(records.error().message);
  const int64_t now = store::unix_now();
  const int64_t max_age = config->nrd.max_age_hours * 3600;
  if (args.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : *records)
      out.push_back({{"domain", r.domain},
                     {"registered", format_time(r.registered_at)},
                     {"registered_at", r.registered_at},
                     {"imported", format_time(r.imported_at)},
                     {"new", now - r.registered_at < max_age}});
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : *records)
    rows.push_back({r.domain, format_time(r.registered_at), age_text(now - r.registered_at),
                    now - r.registered_at < max_age ? "yes" : "no"});
  print_table(std::cout, {"DOMAIN", "REGISTERED", "AGE", "NEW"}, rows);
  return 0;
}

int check_domain(const GlobalOptions& options, const NrdArgs& args) {
  auto config = load_node_config(options);
  if (!config) return report_error(config.error().message);
  auto domain = mail::canonical_domain_name(args.domain);
  if (!domain) return report_error(domain.error().message);
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  store::NewDomainRepository repository(*db);
  const int64_t now = store::unix_now();
  const int64_t max_age = config->nrd.max_age_hours * 3600;
  // The domain, then its parents of two labels or more, as the gateway's check does.
  std::string_view name = *domain;
  while (name.find('.') != std::string_view::npos) {
    auto found = repository.find(std::string(name));
    if (!found) return report_error(found.error().message);
    if (*found) {
      const auto& r = **found;
      bool fresh = now - r.registered_at < max_age;
      std::cout << *domain << (r.domain == *domain ? "" : " (by its parent " + r.domain + ")")
                << ": registered " << format_time(r.registered_at) << ", "
                << age_text(now - r.registered_at) << ": "
                << (fresh ? "new (refused for users with reject_new_domains)"
                          : "older than " + std::to_string(config->nrd.max_age_hours) + " h")
                << "\n";
      return 0;
    }
    name.remove_prefix(name.find('.') + 1);
  }
  std::cout << *domain << ": not in the feed (passes)\n";
  return 0;
}

}  // namespace

void register_nrd_commands(CLI::App& app, Action& action) {
  auto args = std::make_shared<NrdArgs>();
  auto* nrd = app.add_subcommand("nrd", "Newly registered domains (the imported feed)");
  nrd->require_subcommand(1);
  auto* import = nrd->add_subcommand(
      "import", "Import a CSV feed of domain,date lines (YYYY-MM-DD or ISO 8601 UTC); upserts");
  import->add_option("file", args->file, "The CSV file (- for standard input)")->required();
  import->callback([&action, args] {
    action = [args](const GlobalOptions& o) { return import_feed(o, *args);
};
}  // namespace pw::app
);
auto* list = nrd->add_subcommand("list", "Every domain of the feed, youngest first");
list->add_flag("--json", args->json, "Print JSON");
list->callback([&action, args] {
  action = [args](const GlobalOptions& o) { return list_feed(o, *args); };
});
auto* check = nrd->add_subcommand("check", "Is a domain (or its parent) newly registered?");
check->add_option("domain", args->domain, "The domain")->required();
check->callback([&action, args] {
  action = [args](const GlobalOptions& o) { return check_domain(o, *args); };
});
}

}  // namespace pw::app
