// The outgoing quarantine: durable message files first, then their rows; release through the
// spool or the mail injector; the command table the CLI uses while a gateway runs.
// Trust: held bytes come from an SMTP client (stored, never interpreted beyond two header
// fields); ids come from the admin and are checked before they name a file.
#include "quarantine/quarantine_store.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "mail/header_summary.hpp"
#include "queue/mail_injector.hpp"
#include "store/statement.hpp"
#include "util/unique_fd.hpp"

namespace pw::quarantine {
namespace {

constexpr size_t kMaxIdLength = 64;
constexpr int64_t kMaxListLimit = 100000;
constexpr std::string_view kFileSuffix = ".eml";
// Prefix of a command result that reports a failure (the CLI prints it as an error).
constexpr std::string_view kErrorPrefix = "error: ";

constexpr std::string_view kRowColumns =
    "id, held_at, client_ip, sender_kind, sender, user_domain, identity, mail_from, rcpt_to, "
    "subject, header_message_id, size, check_name, reasons, score, response, status, "
    "released_at, released_by, queue_id";

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

std::vector<std::string> parse_recipients(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const auto& item : j)
    if (item.is_string()) out.push_back(item.get<std::string>());
  return out;
}

QuarantinedRow read_row(sqlite3_stmt* stmt) {
  QuarantinedRow row;
  row.id = store::column_text(stmt, 0);
  row.held_at = store::column_int(stmt, 1);
  row.client_ip = store::column_text(stmt, 2);
  row.sender_kind = store::column_text(stmt, 3);
  row.sender = store::column_text(stmt, 4);
  row.user_domain = store::column_text(stmt, 5);
  row.identity = store::column_text(stmt, 6);
  row.mail_from = store::column_text(stmt, 7);
  row.rcpt_to = parse_recipients(store::column_text(stmt, 8));
  row.subject = store::column_text(stmt, 9);
  row.header_message_id = store::column_text(stmt, 10);
  row.size = static_cast<uint64_t>(store::column_int(stmt, 11));
  row.check_name = store::column_text(stmt, 12);
  row.reasons = store::column_text(stmt, 13);
  row.score = sqlite3_column_double(stmt, 14);
  row.response = store::column_text(stmt, 15);
  row.status = store::column_text(stmt, 16);
  row.released_at = store::column_int(stmt, 17);
  row.released_by = store::column_text(stmt, 18);
  row.queue_id = store::column_text(stmt, 19);
  return row;
}

Result<void> write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return fail(errno_text("write to quarantine"));
    }
    data.remove_prefix(static_cast<size_t>(written));
  }
  return {};
}

Result<void> sync_directory(const std::filesystem::path& dir) {
  util::UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return fail(errno_text("open " + dir.string()));
  if (::fsync(fd.get()) != 0) return fail(errno_text("sync " + dir.string()));
  return {};
}

// tmp file, fdatasync, link(2) into place (fails instead of replacing an existing file), tmp
// unlinked, directory synced: the same discipline as the spool.
Result<void> write_durably(const std::filesystem::path& dir, const std::string& name,
                           std::string_view first_line, std::string_view message) {
  auto tmp_dir = dir / "tmp";
  std::error_code ec;
  std::filesystem::create_directories(tmp_dir, ec);
  if (ec) return fail(fmt::format("cannot create {}: {}", tmp_dir.string(), ec.message()));
  ::chmod(dir.c_str(), 0700);
  auto tmp_path = tmp_dir / name;
  auto final_path = dir / name;
  util::UniqueFd fd(::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd) return fail(errno_text("create " + tmp_path.string()));
  auto cleanup = [&](Error e) -> Result<void> {
    std::error_code ignored;
    std::filesystem::remove(tmp_path, ignored);
    return tl::unexpected(std::move(e));
  };
  if (auto r = write_all(fd.get(), first_line); !r) return cleanup(r.error());
  if (auto r = write_all(fd.get(), "\n"); !r) return cleanup(r.error());
  if (auto r = write_all(fd.get(), message); !r) return cleanup(r.error());
  if (::fdatasync(fd.get()) != 0) return cleanup(Error{errno_text("sync quarantine file")});
  fd.reset();
  if (::link(tmp_path.c_str(), final_path.c_str()) != 0) {
    if (errno == EEXIST) return cleanup(Error{"quarantine file " + name + " already exists"});
    return cleanup(Error{errno_text("link into quarantine")});
  }
  std::error_code ignored;
  std::filesystem::remove(tmp_path, ignored);
  return sync_directory(dir);
}

std::string format_score(double score) { return fmt::format("{}", score); }

}  // namespace

bool valid_quarantine_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  for (char c : id) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

QuarantineStore::QuarantineStore(store::Database& db, std::filesystem::path data_dir)
    : db_(db), directory_(std::move(data_dir) / "quarantine") {}

std::filesystem::path QuarantineStore::file_of(const std::string& id) const {
  return directory_ / (id + std::string(kFileSuffix));
}

Result<void> QuarantineStore::hold(const HoldRequest& request) {
  const auto& e = request.envelope;
  if (!valid_quarantine_id(e.id)) return fail("bad quarantine id \"" + e.id + "\"");
  if (request.response != "rejected" && request.response != "accepted")
    return fail("quarantine response must be \"rejected\" or \"accepted\", not \"" +
                request.response + "\"");
  {
    std::lock_guard lock(*mutex_);
    auto existing = find_locked(e.id);
    if (!existing) return tl::unexpected(existing.error());
    if (*existing) return fail("message " + e.id + " is already in the quarantine");
  }
  // The slow part (fsync) runs without the lock: holds of different messages overlap.
  if (auto written = write_durably(directory_, e.id + std::string(kFileSuffix), e.to_json_line(),
                                   request.message);
      !written)
    return written;
  auto summary = mail::summarize_headers(request.message);
  nlohmann::json recipients = e.rcpt_to;
  std::string rcpt_json = recipients.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string reasons = request.verdict.reasons_text();
  std::string score = format_score(request.verdict.score);
  std::lock_guard lock(*mutex_);
  auto inserted = store::run(
      db_,
      "INSERT INTO quarantine (id, held_at, client_ip, sender_kind, sender, user_domain, "
      "identity, mail_from, rcpt_to, subject, header_message_id, size, check_name, reasons, "
      "score, response, status) VALUES (?1, ?2, ?3, ?4, ?5, lower(?6), ?7, ?8, ?9, ?10, ?11, "
      "?12, ?13, ?14, CAST(?15 AS REAL), ?16, 'held')",
      {e.id, store::unix_now(), e.client_ip, e.sender_kind, e.sender, e.domain, request.identity,
       e.mail_from, rcpt_json, summary.subject, summary.message_id,
       static_cast<int64_t>(request.message.size()), request.verdict.check, reasons, score,
       request.response});
  if (!inserted) {
    // No row names the file: take it back, so the id can be held again.
    std::error_code ignored;
    std::filesystem::remove(file_of(e.id), ignored);
    return tl::unexpected(inserted.error());
  }
  return {};
}

Result<std::vector<QuarantinedRow>> QuarantineStore::list(const QuarantineFilter& filter) {
  if (filter.limit < 1 || filter.limit > kMaxListLimit)
    return fail(fmt::format("limit must be 1..{}", kMaxListLimit));
  if (filter.offset < 0) return fail("offset must not be negative");
  if (filter.status && *filter.status != "held" && *filter.status != "released" &&
      *filter.status != "deleted")
    return fail("bad status \"" + *filter.status + "\": use held, released or deleted");
  std::string sql = "SELECT " + std::string(kRowColumns) + " FROM quarantine WHERE 1";
  std::vector<store::SqlValue> params;
  // Each fragment ends where its parameter goes: "?<n>" is appended, then `after`.
  auto add = [&](std::string_view fragment, store::SqlValue value, std::string_view after = "") {
    params.push_back(value);
    sql += std::string(fragment) + "?" + std::to_string(params.size()) + std::string(after);
  };
  if (filter.domain) add(" AND user_domain = lower(", std::string_view(*filter.domain), ")");
  if (filter.status) add(" AND status = ", std::string_view(*filter.status));
  if (filter.sender) {
    add(" AND (sender = ", std::string_view(*filter.sender), " COLLATE NOCASE");
    add(" OR mail_from = ", std::string_view(*filter.sender), " COLLATE NOCASE)");
  }
  if (filter.since) add(" AND held_at >= ", *filter.since);
  if (filter.until) add(" AND held_at < ", *filter.until);
  if (filter.text) {
    add(" AND (instr(lower(subject || ' ' || mail_from || ' ' || rcpt_to || ' ' || sender || ' ' "
        "|| id), lower(",
        std::string_view(*filter.text), ")) > 0)");
  }
  if (filter.visible_to) {
    // The envelope sender's domain is the text after its last '@': compared as a suffix.
    add(" AND (user_domain = lower(", std::string_view(*filter.visible_to), ")");
    add(" OR lower(substr(mail_from, -length(", std::string_view(*filter.visible_to), ") - 1))");
    add(" = '@' || lower(", std::string_view(*filter.visible_to), ")");
    add(" OR EXISTS (SELECT 1 FROM domain_aliases a JOIN domains d ON d.id = a.domain_id WHERE "
        "d.name = ",
        std::string_view(*filter.visible_to),
        " AND lower(substr(mail_from, -length(a.alias) - 1)) = '@' || lower(a.alias)))");
  }
  if (filter.before) {
    add(" AND (held_at, id) < (", filter.before->first);
    add(", ", std::string_view(filter.before->second), ")");
  }
  add(" ORDER BY held_at DESC, id DESC LIMIT ", filter.limit);
  add(" OFFSET ", filter.offset);
  std::lock_guard lock(*mutex_);
  auto stmt = store::query(db_, sql, std::span<const store::SqlValue>(params));
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<QuarantinedRow> rows;
  while (true) {
    auto more = store::next_row(db_, stmt->get());
    if (!more) return tl::unexpected(more.error());
    if (!*more) break;
    rows.push_back(read_row(stmt->get()));
  }
  return rows;
}

Result<std::optional<QuarantinedRow>> QuarantineStore::find_locked(const std::string& id) {
  auto stmt = store::query(
      db_, "SELECT " + std::string(kRowColumns) + " FROM quarantine WHERE id = ?1", {id});
  if (!stmt) return tl::unexpected(stmt.error());
  auto more = store::next_row(db_, stmt->get());
  if (!more) return tl::unexpected(more.error());
  if (!*more) return std::optional<QuarantinedRow>();
  return std::optional<QuarantinedRow>(read_row(stmt->get()));
}

Result<std::optional<QuarantinedRow>> QuarantineStore::find(const std::string& id) {
  std::lock_guard lock(*mutex_);
  return find_locked(id);
}

Result<HeldMessage> QuarantineStore::read(const std::string& id) {
  if (!valid_quarantine_id(id)) return fail("no quarantined message " + id);
  auto row = find(id);
  if (!row) return tl::unexpected(row.error());
  if (!*row) return fail("no quarantined message " + id);
  if ((*row)->status == "deleted") return fail("quarantined message " + id + " was deleted");
  std::ifstream in(file_of(id), std::ios::binary);
  if (!in) return fail(errno_text("cannot read " + file_of(id).string()));
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t newline = data.find('\n');
  if (newline == std::string::npos) return fail(file_of(id).string() + ": no envelope line");
  auto envelope = mail::Envelope::from_json_line(std::string_view(data).substr(0, newline));
  if (!envelope) return fail(file_of(id).string() + ": " + envelope.error().message);
  HeldMessage held{std::move(*envelope), data.substr(newline + 1)};
  return held;
}

Result<void> QuarantineStore::remove(const std::string& id) {
  {
    std::lock_guard lock(*mutex_);
    auto changed = db_.transaction([&]() -> Result<int64_t> {
      auto row = find_locked(id);
      if (!row) return tl::unexpected(row.error());
      if (!*row) return fail("no quarantined message " + id);
      if ((*row)->status == "deleted") return fail("quarantined message " + id + " was deleted");
      return store::run(db_, "UPDATE quarantine SET status = 'deleted' WHERE id = ?1", {id});
    });
    if (!changed) return tl::unexpected(changed.error());
  }
  // The row first: a crash in between leaves an orphan file, never a row without its file.
  if (valid_quarantine_id(id)) {
    std::error_code ignored;
    std::filesystem::remove(file_of(id), ignored);
  }
  return {};
}

Result<std::string> QuarantineStore::release(const std::string& id, const std::string& by,
                                             queue::Spool& spool, queue::MailInjector* injector) {
  std::lock_guard lock(*mutex_);
  return release_locked(id, by, spool, injector);
}

Result<std::string> QuarantineStore::release_locked(const std::string& id, const std::string& by,
                                                    queue::Spool& spool,
                                                    queue::MailInjector* injector) {
  // BEGIN IMMEDIATE serialises releases across processes (CLI and gateway): the status is read
  // and changed under one write lock, so a message is released once.
  return db_.transaction([&]() -> Result<std::string> {
    auto row = find_locked(id);
    if (!row) return tl::unexpected(row.error());
    if (!*row) return fail("no quarantined message " + id);
    if ((*row)->status == "released")
      return fail("quarantined message " + id + " was already released (queue id " +
                  (*row)->queue_id + ")");
    if ((*row)->status == "deleted")
      return fail("quarantined message " + id + " was deleted and cannot be released");
    std::ifstream in(file_of(id), std::ios::binary);
    if (!in) return fail(errno_text("cannot read " + file_of(id).string()));
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t newline = data.find('\n');
    if (newline == std::string::npos) return fail(file_of(id).string() + ": no envelope line");
    auto original = mail::Envelope::from_json_line(std::string_view(data).substr(0, newline));
    if (!original) return fail(file_of(id).string() + ": " + original.error().message);
    std::string_view message = std::string_view(data).substr(newline + 1);
    if (original->rcpt_to.empty()) return fail("quarantined message " + id + " has no recipient");
    const std::string signature = release_signer_ ? release_signer_(*original, message) : "";

    std::string queue_id;
    if (injector) {
      queue::GeneratedMail mail;
      mail.kind = original->sender_kind;
      mail.sender = original->sender;
      mail.domain = original->domain;
      mail.client_ip = original->client_ip;
      mail.mail_from = original->mail_from;
      mail.rcpt_to = original->rcpt_to;
      mail.message = signature + std::string(message);
      auto sent = injector->send(mail);
      if (!sent) return tl::unexpected(sent.error());
      queue_id = *sent;
    } else {
      mail::Envelope envelope = *original;
      envelope.id = spool.new_id();
      envelope.received_at = store::unix_now();
      envelope.size = signature.size() + message.size();
      if (auto stored = spool.store(envelope, {signature, message}); !stored)
        return tl::unexpected(stored.error());
      queue_id = envelope.id;
    }
    auto updated = store::run(db_,
                              "UPDATE quarantine SET status = 'released', released_at = ?2, "
                              "released_by = ?3, queue_id = ?4 WHERE id = ?1",
                              {id, store::unix_now(), by, queue_id});
    if (!updated) return tl::unexpected(updated.error());
    return queue_id;
  });
}

Result<int64_t> QuarantineStore::request_release(const std::string& id, const std::string& by) {
  std::lock_guard lock(*mutex_);
  auto inserted = store::run(db_,
                             "INSERT INTO quarantine_commands (command, quarantine_id, "
                             "requested_by, created_at) VALUES ('release', ?1, ?2, ?3)",
                             {id, by, store::unix_now()});
  if (!inserted) return tl::unexpected(inserted.error());
  return store::last_insert_id(db_);
}

Result<std::optional<CommandOutcome>> QuarantineStore::command_result(int64_t command_id) {
  std::lock_guard lock(*mutex_);
  auto stmt = store::query(db_, "SELECT done_at, result FROM quarantine_commands WHERE id = ?1",
                           {command_id});
  if (!stmt) return tl::unexpected(stmt.error());
  auto more = store::next_row(db_, stmt->get());
  if (!more) return tl::unexpected(more.error());
  if (!*more) return fail(fmt::format("no quarantine command {}", command_id));
  if (store::column_is_null(stmt->get(), 0)) return std::optional<CommandOutcome>();
  std::string result = store::column_text(stmt->get(), 1);
  CommandOutcome outcome;
  outcome.ok = !result.starts_with(kErrorPrefix);
  outcome.text = outcome.ok ? result : result.substr(kErrorPrefix.size());
  return std::optional<CommandOutcome>(std::move(outcome));
}

Result<size_t> QuarantineStore::process_commands(queue::Spool& spool,
                                                 queue::MailInjector* injector) {
  struct Pending {
    int64_t id;
    std::string command, quarantine_id, requested_by;
  };
  std::lock_guard lock(*mutex_);
  std::vector<Pending> pending;
  {
    auto stmt = store::query(db_,
                             "SELECT id, command, quarantine_id, requested_by FROM "
                             "quarantine_commands WHERE done_at IS NULL ORDER BY id LIMIT ?1",
                             {static_cast<int64_t>(kMaxCommandsPerRun)});
    if (!stmt) return tl::unexpected(stmt.error());
    while (true) {
      auto more = store::next_row(db_, stmt->get());
      if (!more) return tl::unexpected(more.error());
      if (!*more) break;
      pending.push_back({store::column_int(stmt->get(), 0), store::column_text(stmt->get(), 1),
                         store::column_text(stmt->get(), 2), store::column_text(stmt->get(), 3)});
    }
  }
  for (const auto& command : pending) {
    std::string result;
    if (command.command == "release") {
      auto released = release_locked(command.quarantine_id, command.requested_by, spool, injector);
      result = released ? "released " + command.quarantine_id + " as queue id " + *released
                        : std::string(kErrorPrefix) + released.error().message;
    } else {
      result = std::string(kErrorPrefix) + "unknown command " + command.command;
    }
    auto done =
        store::run(db_, "UPDATE quarantine_commands SET done_at = ?2, result = ?3 WHERE id = ?1",
                   {command.id, store::unix_now(), result});
    if (!done) return tl::unexpected(done.error());
  }
  return pending.size();
}

nlohmann::json to_json(const QuarantinedRow& row) {
  return {{"id", row.id},
          {"held_at", row.held_at},
          {"client_ip", row.client_ip},
          {"sender_kind", row.sender_kind},
          {"sender", row.sender},
          {"user_domain", row.user_domain},
          {"identity", row.identity},
          {"mail_from", row.mail_from},
          {"rcpt_to", row.rcpt_to},
          {"subject", row.subject},
          {"header_message_id", row.header_message_id},
          {"size", row.size},
          {"check", row.check_name},
          {"reasons", row.reasons},
          {"score", row.score},
          {"response", row.response},
          {"status", row.status},
          {"released_at", row.released_at},
          {"released_by", row.released_by},
          {"queue_id", row.queue_id}};
}

}  // namespace pw::quarantine
