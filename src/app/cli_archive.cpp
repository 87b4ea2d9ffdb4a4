// `postwarden archive search|export` (F-ARCHIVE): find archived outgoing mail of one domain and
// export it as an mboxrd file.
// Trust: arguments come from the admin's command line; filters are bound, never spliced, and the
// domain is validated before it names anything.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/cli.hpp"
#include "app/cli_output.hpp"
#include "archive/archive_store.hpp"
#include "mail/name_syntax.hpp"
#include "service/archive_service.hpp"
#include "store/node_database.hpp"
#include "store/statement.hpp"

namespace pw::app {
namespace {

// Archived messages carry the trace header the gateway prepends to what the client sent, so a
// message accepted at exactly smtp.max_message_size is a little larger in the archive.
constexpr size_t kTraceHeaderAllowance = 64 * 1024;
constexpr int64_t kMaxLimit = 100000;

struct ArchiveArgs {
  std::string domain, sender, recipient, subject, since, until, out;
  int64_t limit = 100;
  int64_t offset = 0;
  bool json = false;
};

Result<archive::ArchiveFilter> make_filter(const ArchiveArgs& args) {
  archive::ArchiveFilter filter;
  auto domain = mail::canonical_domain_name(args.domain);
  if (!domain) return fail("--domain: " + domain.error().message);
  filter.domain = *domain;
  auto set = [](std::optional<std::string>& field, const std::string& value) {
    if (!value.empty()) field = value;
  };
  set(filter.sender, args.sender);
  set(filter.recipient, args.recipient);
  set(filter.subject, args.subject);
  if (!args.since.empty()) {
    auto t = parse_time(args.since);
    if (!t) return fail("--since: " + t.error().message);
    filter.since = *t;
  }
  if (!args.until.empty()) {
    auto t = parse_time(args.until);
    if (!t) return fail("--until: " + t.error().message);
    filter.until = *t;
  }
  if (args.limit < 1 || args.limit > kMaxLimit) return fail("--limit must be 1..100000");
  if (args.offset < 0) return fail("--offset must not be negative");
  filter.limit = args.limit;
  filter.offset = args.offset;
  return filter;
}

nlohmann::json to_json(const archive::ArchivedRow& row) {
  return {{"id", row.id},           {"archived_at", row.archived_at}, {"domain", row.domain},
          {"sender", row.sender},   {"mail_from", row.mail_from},     {"rcpt_to", row.rcpt_to},
          {"subject", row.subject}, {"message_id", row.message_id},   {"size", row.size}};
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ",";
    out += item;
  }
  return out;
}

int search_archive(const GlobalOptions& options, const ArchiveArgs& args) {
  auto filter = make_filter(args);
  if (!filter) return report_error(filter.error().message);
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  auto page = service::search_archive(service::Actor::cli(), *db, options.data_dir, *filter);
  if (!page) return report_error(page.error().message);
  const auto* rows = &page->items;
  if (args.json) {
    auto out = nlohmann::json::array();
    for (const auto& row : *rows) out.push_back(to_json(row));
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> table;
  for (const auto& row : *rows)
    table.push_back({format_time(row.archived_at), row.id, "<" + row.mail_from + ">",
                     joined(row.rcpt_to), row.sender, std::to_string(row.size), row.subject});
  print_table(std::cout, {"ARCHIVED", "ID", "FROM", "TO", "USER", "SIZE", "SUBJECT"}, table);
  return 0;
}

int export_archive(const GlobalOptions& options, const ArchiveArgs& args) {
  auto filter = make_filter(args);
  if (!filter) return report_error(filter.error().message);
  auto config = load_node_config(options);
  if (!config) return report_error(config.error().message);
  const size_t max_size =
      static_cast<size_t>(config->smtp.max_message_size) + kTraceHeaderAllowance;
  auto db = store::open_node_database(options.data_dir);
  if (!db) return report_error(db.error().message);
  // Created 0600 before the stream opens it: an export holds other people's mail.
  int fd = ::open(args.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return report_error("cannot create " + args.out + ": " + std::strerror(errno));
  ::close(fd);
  std::ofstream out(args.out, std::ios::binary | std::ios::trunc);
  if (!out) return report_error("cannot write " + args.out);
  auto count =
      service::export_archive(service::Actor::cli(), *db, options.data_dir, *filter, out, max_size);
  out.close();
  if (count && !out) count = service::invalid("writing " + args.out + " failed");
  if (!count) {
    std::error_code ignored;
    std::filesystem::remove(args.out, ignored);  // a partial export must not pass for a whole one
    return report_error(count.error().message);
  }
  std::cout << "exported " << *count << " message(s) to " << args.out << "\n";
  return 0;
}

void add_filter_options(CLI::App* command, ArchiveArgs& args) {
  command->add_option("--domain", args.domain, "The archive: the envelope sender's domain")
      ->required();
  command->add_option("--since", args.since,
                      "Archived at or after (unix, YYYY-MM-DD[THH:MM[:SS]], -2h)");
  command->add_option("--until", args.until, "Archived before");
}

}  // namespace

void register_archive_commands(CLI::App& app, Action& action) {
  auto args = std::make_shared<ArchiveArgs>();
  auto* archive = app.add_subcommand("archive", "The archive of outgoing mail");
  archive->require_subcommand(1);
  auto* search = archive->add_subcommand("search", "Find archived messages (newest first)");
  add_filter_options(search, *args);
  search->add_option("--sender", args->sender, "Envelope sender (MAIL FROM) or outgoing user");
  search->add_option("--recipient", args->recipient, "Part of an envelope recipient (RCPT TO)");
  search->add_option("--subject", args->subject, "Part of the subject");
  search->add_option("--limit", args->limit, "Most messages to show (default 100)");
  search->add_option("--offset", args->offset, "Skip this many (pagination)");
  search->add_flag("--json", args->json, "Print JSON");
  search->callback([&action, args] {
    action = [args](const GlobalOptions& o) { return search_archive(o, *args); };
  });
  auto* exporter = archive->add_subcommand("export", "Write archived messages to an mbox file");
  add_filter_options(exporter, *args);
  exporter->add_option("--out", args->out, "The mbox file to write (mboxrd)")->required();
  exporter->callback([&action, args] {
    action = [args](const GlobalOptions& o) { return export_archive(o, *args); };
  });
}

}  // namespace pw::app
