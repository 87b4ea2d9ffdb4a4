// `postwarden hash add|list|remove|fingerprint`: the admin's hash block list (F-FUZZY). Entries
// are SHA-256 hashes of attachments and fuzzy fingerprints of message bodies; a message matching
// one is held in quarantine as spam. A running gateway picks changes up at its next reload.
// Trust: arguments and the files they name come from the admin; values are validated, files are
// read up to [smtp] max_message_size (nothing larger can arrive as a message or attachment).
#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/cli.hpp"
#include "app/cli_output.hpp"
#include "scan/attachment_limits.hpp"
#include "scan/attachment_scanner.hpp"
#include "scan/hash_block_value.hpp"
#include "service/hash_service.hpp"
#include "store/hash_block_repository.hpp"
#include "store/node_database.hpp"

namespace pw::app {
namespace {

struct HashArgs {
  std::string sha256;
  std::string fuzzy;
  std::string file;
  std::string message;
  std::string note;
  bool attachments = false;
  bool json = false;
  int64_t id = 0;
};

Result<std::string> read_bounded(const std::string& path, int64_t max_bytes) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return fail("cannot read " + path + ": " + ec.message());
  if (size > static_cast<std::uintmax_t>(max_bytes))
    return fail(path + " is larger than [smtp] max_message_size (" + std::to_string(max_bytes) +
                " bytes)");
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot read " + path);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return fail("cannot read " + path);
  return bytes;
}

int add_hash(const GlobalOptions& options, const HashArgs& args) {
  const int sources =
      !args.sha256.empty() + !args.fuzzy.empty() + !args.file.empty() + !args.message.empty();
  if (sources != 1) return report_error("give exactly one of --sha256, --fuzzy, --file, --message");
  if (args.attachments && args.message.empty())
    return report_error("--attachments goes with --message");
  if (auto ok = scan::validate_hash_note(args.note); !ok) return report_error(ok.error().message);
  auto config = load_node_config(options);
  if (!config) return report_error(config.error().message);

  service::HashAddRequest request;
  request.note = args.note;
  request.attachments = args.attachments;
  if (!args.sha256.empty()) {
    request.sha256 = args.sha256;
  } else if (!args.fuzzy.empty()) {
    request.fuzzy = args.fuzzy;
  } else if (!args.file.empty()) {
    auto bytes = read_bounded(args.file, config->smtp.max_message_size);
    if (!bytes) return report_error(bytes.error().message);
    request.file = std::move(*bytes);
    request.file_name = std::filesystem::path(args.file).filename().string();
  } else {
    auto message = read_bounded(args.message, config->smtp.max_message_size);
    if (!message) return report_error(message.error().message);
    request.message = std::move(*message);
  }
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  auto added = service::add_hashes(service::Actor::cli(), *db, *config, request);
  if (!added) return report_error(added.error().message);
  for (const auto& entry : *added) {
    const auto& block = entry.block;
    std::cout << "added hash block list entry " << block.id << " (" << block.kind
              << (entry.what.empty() ? "" : ", " + entry.what) << ") " << block.value << "\n";
  }
  return 0;
}

int list_hashes(const GlobalOptions& options, const HashArgs& args) {
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  auto blocks = service::list_hashes(service::Actor::cli(), *db);
  if (!blocks) return report_error(blocks.error().message);
  if (args.json) {
    auto out = nlohmann::json::array();
    for (const auto& b : *blocks)
      out.push_back({{"id", b.id},
                     {"kind", b.kind},
                     {"value", b.value},
                     {"note", b.note},
                     {"created", format_time(b.created_at)}});
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& b : *blocks)
    rows.push_back({std::to_string(b.id), b.kind, b.value, b.note, format_time(b.created_at)});
  print_table(std::cout, {"ID", "KIND", "VALUE", "NOTE", "CREATED"}, rows);
  return 0;
}

int remove_hash(const GlobalOptions& options, const HashArgs& args) {
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  auto removed = service::remove_hash(service::Actor::cli(), *db, args.id);
  if (!removed) return report_error(removed.error().message);
  std::cout << "removed hash block list entry " << removed->id << " (" << removed->kind << ")\n";
  return 0;
}

int fingerprint_message(const GlobalOptions& options, const HashArgs& args) {
  auto config = load_node_config(options);
  if (!config) return report_error(config.error().message);
  auto message = read_bounded(args.message, config->smtp.max_message_size);
  if (!message) return report_error(message.error().message);
  auto fp = service::message_fingerprint(*message, *config);
  if (!fp) return report_error(fp.error().message);
  auto report = scan::scan_attachments(*message, scan::attachment_limits(config->scan));
  if (args.json) {
    auto hashes = nlohmann::json::array();
    for (const auto& h : report.hashes)
      hashes.push_back({{"file", h.file}, {"size", h.size}, {"sha256", h.sha256}});
    nlohmann::json out = {{"fuzzy", *fp}, {"attachments", hashes}};
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << "fuzzy " << *fp << "\n";
  for (const auto& h : report.hashes)
    std::cout << "sha256 " << h.sha256 << " " << h.size << " " << h.file << "\n";
  return 0;
}

}  // namespace

void register_hash_commands(CLI::App& app, Action& action) {
  auto args = std::make_shared<HashArgs>();
  auto* hash_cmd =
      app.add_subcommand("hash", "Manage the hash block list (attachment SHA-256, fuzzy bodies)");
  hash_cmd->require_subcommand(1);

  auto* add = hash_cmd->add_subcommand("add", "List a hash: its messages are held as spam");
  add->add_option("--sha256", args->sha256, "SHA-256 of an attachment, 64 hex digits");
  add->add_option("--fuzzy", args->fuzzy, "A fuzzy fingerprint (fz1:...)");
  add->add_option("--file", args->file, "A file whose SHA-256 to list");
  add->add_option("--message", args->message,
                  "An RFC 5322 message file whose body fingerprint to list");
  add->add_flag("--attachments", args->attachments,
                "With --message: also list the SHA-256 of each of its attachments");
  add->add_option("--note", args->note, "Why it is listed (one line)");
  add->callback([&action, args] {
    action = [args](const GlobalOptions& options) { return add_hash(options, *args); };
  });

  auto* list = hash_cmd->add_subcommand("list", "Show the hash block list");
  list->add_flag("--json", args->json, "Print a JSON array");
  list->callback([&action, args] {
    action = [args](const GlobalOptions& options) { return list_hashes(options, *args); };
  });

  auto* remove = hash_cmd->add_subcommand("remove", "Remove an entry of the hash block list");
  remove->add_option("id", args->id, "Entry id (see hash list)")->required();
  remove->callback([&action, args] {
    action = [args](const GlobalOptions& options) { return remove_hash(options, *args); };
  });

  auto* fingerprint = hash_cmd->add_subcommand(
      "fingerprint", "Print a message file's fuzzy fingerprint and its attachments' SHA-256");
  fingerprint->add_option("message", args->message, "RFC 5322 message file")->required();
  fingerprint->add_flag("--json", args->json, "Print JSON");
  fingerprint->callback([&action, args] {
    action = [args](const GlobalOptions& options) { return fingerprint_message(options, *args); };
  });
}

}  // namespace pw::app
