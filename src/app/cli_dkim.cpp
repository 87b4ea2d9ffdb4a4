// `postwarden dkim keygen|list|show|check|remove` (F-DKIM): the signing keys in <data-dir>/dkim
// and the DNS records to publish for them. `check` asks DNS (the resolver of `serve`, or --dns)
// and compares the published key with the stored one.
#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/cli.hpp"
#include "app/cli_output.hpp"
#include "dkim/key_store.hpp"
#include "dkim/private_key.hpp"
#include "net/dns_resolver.hpp"
#include "service/dkim_service.hpp"

namespace pw::app {
namespace {

struct DkimArgs {
  std::string domain;
  std::string selector;
  std::string algorithm;  // "" = [dkim] default_algorithm
  int bits = 0;           // 0 = [dkim] rsa_bits
  bool force = false;
  bool json = false;
  std::string dns;
};

Result<dkim::KeyStore> key_store(const GlobalOptions& options) {
  if (options.data_dir.empty())
    return fail("no data directory: pass --data-dir DIR or set POSTWARDEN_DATA_DIR");
  return dkim::KeyStore(dkim::KeyStore::default_dir(options.data_dir));
}

nlohmann::json to_json(const dkim::KeyInfo& info) {
  return {{"domain", info.domain},
          {"selector", info.selector},
          {"algorithm", std::string(dkim::to_string(info.type))},
          {"signing_algorithm", std::string(dkim::signing_algorithm(info.type))},
          {"bits", info.bits},
          {"name", info.dns_name()},
          {"record", info.record},
          {"key_file", info.path.string()},
          {"modified", format_time(info.modified_at)}};
}

void print_record(const dkim::KeyInfo& info, bool json) {
  if (json) {
    std::cout << to_json(info).dump(2) << "\n";
    return;
  }
  std::cout << "; " << dkim::signing_algorithm(info.type) << " key ("
            << (info.type == dkim::KeyType::kRsa ? std::to_string(info.bits) + " bits"
                                                 : std::string("Ed25519"))
            << ") in " << info.path.string() << "\n"
            << "; publish this TXT record, then set the selector on the domain or user:\n"
            << dkim::zone_file_line(info.dns_name(), info.record) << "\n";
}

int keygen(const GlobalOptions& options, const DkimArgs& args) {
  auto config = load_node_config(options);
  if (!config) return report_error(config.error().message);
  if (auto store = key_store(options); !store) return report_error(store.error().message);
  auto info = service::generate_dkim_key(
      service::Actor::cli(), nullptr, options.data_dir, *config,
      {args.domain, args.selector, args.algorithm, args.bits, args.force});
  if (!info) return report_error(info.error().message);
  print_record(*info, args.json);
  return 0;
}

int show(const GlobalOptions& options, const DkimArgs& args) {
  if (auto store = key_store(options); !store) return report_error(store.error().message);
  auto info = service::show_dkim_key(service::Actor::cli(), nullptr, options.data_dir, args.domain,
                                     args.selector);
  if (!info) return report_error(info.error().message);
  print_record(*info, args.json);
  return 0;
}

int list(const GlobalOptions& options, const DkimArgs& args) {
  if (auto store = key_store(options); !store) return report_error(store.error().message);
  auto keys =
      service::list_dkim_keys(service::Actor::cli(), nullptr, options.data_dir, std::nullopt);
  if (!keys) return report_error(keys.error().message);
  if (args.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& k : *keys) out.push_back(to_json(k));
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& k : *keys)
    rows.push_back({k.domain, k.selector, std::string(dkim::signing_algorithm(k.type)),
                    k.type == dkim::KeyType::kRsa ? std::to_string(k.bits) : "-", k.dns_name(),
                    format_time(k.modified_at)});
  print_table(std::cout, {"DOMAIN", "SELECTOR", "ALGORITHM", "BITS", "DNS NAME", "MADE"}, rows);
  return 0;
}

int remove(const GlobalOptions& options, const DkimArgs& args) {
  if (auto store = key_store(options); !store) return report_error(store.error().message);
  if (auto r = service::remove_dkim_key(service::Actor::cli(), nullptr, options.data_dir,
                                        args.domain, args.selector);
      !r)
    return report_error(r.error().message);
  std::cout << "removed the key of selector " << args.selector << " of " << args.domain
            << "; mail of users with this selector now goes out unsigned\n";
  return 0;
}

// Looks the record up and compares it with the key: 0 when they match.
int check(const GlobalOptions& options, const DkimArgs& args) {
  auto config = load_node_config(options);
  if (!config) return report_error(config.error().message);
  if (auto store = key_store(options); !store) return report_error(store.error().message);
  auto info = service::show_dkim_key(service::Actor::cli(), nullptr, options.data_dir, args.domain,
                                     args.selector);
  if (!info) return report_error(info.error().message);

  auto dns = net::DnsOptions::from(config->delivery);
  if (!args.dns.empty()) dns.servers = {args.dns};
  dns.cache_entries = 0;
  boost::asio::io_context io;
  auto resolver = net::DnsResolver::create(io.get_executor(), dns);
  if (!resolver) return report_error(resolver.error().message);
  net::TxtAnswer answer;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        answer = co_await (*resolver)->txt(info->dns_name());
      },
      boost::asio::detached);
  io.run();
  resolver->reset();

  const std::string name = info->dns_name();
  if (answer.status != net::DnsStatus::kOk)
    return report_error(name + ": no TXT record (" + answer.reason +
                        "); publish: " + dkim::zone_file_line(name, info->record));
  std::vector<dkim::KeyRecord> keys;
  for (const auto& text : answer.records) {
    auto record = dkim::parse_key_record(text);
    if (record && !record->public_key.empty()) keys.push_back(*record);
  }
  if (keys.empty()) return report_error(name + ": TXT records found but none is a DKIM key record");
  if (keys.size() > 1)
    return report_error(name + ": " + std::to_string(keys.size()) +
                        " DKIM key records; verifiers need exactly one");
  const auto& published = keys.front();
  if (published.key_type != dkim::to_string(info->type))
    return report_error(name + ": the record says k=" + published.key_type + " but the key is " +
                        std::string(dkim::to_string(info->type)));
  auto stored = dkim::parse_key_record(info->record);
  if (!stored || published.public_key != stored->public_key)
    return report_error(name + ": the published public key differs from the stored key; publish: " +
                        dkim::zone_file_line(name, info->record));
  std::cout << name << ": ok, the published " << published.key_type
            << " key matches the stored key\n";
  return 0;
}

}  // namespace

void register_dkim_commands(CLI::App& app, Action& action) {
  auto args = std::make_shared<DkimArgs>();
  auto* dkim = app.add_subcommand("dkim", "DKIM signing keys and their DNS records");
  dkim->require_subcommand(1);
  auto add_key_options = [args](CLI::App* cmd) {
    cmd->add_option("--domain", args->domain, "The signing domain (d=)")->required();
    cmd->add_option("--selector", args->selector, "The selector (s=)")->required();
  };

  auto* keygen_cmd = dkim->add_subcommand(
      "keygen", "Make a key for a domain and selector, and print the TXT record to publish");
  add_key_options(keygen_cmd);
  keygen_cmd
      ->add_option("--algorithm", args->algorithm,
                   "rsa (rsa-sha256) or ed25519 (ed25519-sha256); default [dkim] "
                   "default_algorithm")
      ->check(CLI::IsMember({"rsa", "ed25519"}));
  keygen_cmd->add_option("--bits", args->bits, "RSA key size; default [dkim] rsa_bits")
      ->check(CLI::Range(1024, 4096));
  keygen_cmd->add_flag("--force", args->force, "Replace an existing key of this selector");
  keygen_cmd->add_flag("--json", args->json, "Print JSON");
  keygen_cmd->callback(
      [&action, args] { action = [args](const GlobalOptions& o) { return keygen(o, *args); }; });

  auto* show_cmd = dkim->add_subcommand("show", "Print the TXT record of a stored key");
  add_key_options(show_cmd);
  show_cmd->add_flag("--json", args->json, "Print JSON");
  show_cmd->callback(
      [&action, args] { action = [args](const GlobalOptions& o) { return show(o, *args); }; });

  auto* list_cmd = dkim->add_subcommand("list", "Every stored key");
  list_cmd->add_flag("--json", args->json, "Print JSON");
  list_cmd->callback(
      [&action, args] { action = [args](const GlobalOptions& o) { return list(o, *args); }; });

  auto* check_cmd = dkim->add_subcommand(
      "check", "Look the TXT record up in DNS and say whether it matches the stored key");
  add_key_options(check_cmd);
  check_cmd->add_option("--dns", args->dns, "DNS server HOST:PORT (default: as serve)");
  check_cmd->callback(
      [&action, args] { action = [args](const GlobalOptions& o) { return check(o, *args); }; });

  auto* remove_cmd = dkim->add_subcommand("remove", "Delete a stored key");
  add_key_options(remove_cmd);
  remove_cmd->callback(
      [&action, args] { action = [args](const GlobalOptions& o) { return remove(o, *args); }; });
}

}  // namespace pw::app
