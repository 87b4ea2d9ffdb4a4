// The outgoing quarantine: durable message files first, then their rows; release through the
// spool or the mail injector; the command table the CLI uses while a gateway runs.
// Trust: held bytes come from an SMTP client (stored, never interpreted beyond two header
// fields); ids come from the admin and are checked before they name a file.
#include "quarantine/quarantine_store.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "mail/header_summary.hpp"
#include "queue/mail_injector.hpp"
#include "store/gateway_commands.hpp"
#include "store/statement.hpp"
#include "util/durable_file.hpp"
#include "util/unique_fd.hpp"

namespace pw::quarantine {
namespace {

constexpr size_t kMaxIdLength = 64;
constexpr int64_t kMaxListLimit = 100000;
constexpr std::string_view kFileSuffix = ".eml";
// Prefix of a command result that reports a failure (the CLI prints it as an error).
constexpr std::string_view kErrorPrefix = "error: ";

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

// util/durable_file with link(2): an existing file of the name is never replaced.
Result<void> write_durably(const std::filesystem::path& dir, const std::string& name,
                           std::string_view first_line, std::string_view message) {
  auto tmp_dir = dir / "tmp";
  std::error_code ec;
  std::filesystem::create_directories(tmp_dir, ec);
  if (ec) return fail(fmt::format("cannot create {}: {}", tmp_dir.string(), ec.message()));
  ::chmod(dir.c_str(), 0700);
  const std::string_view parts[] = {first_line, "\n", message};
  return util::write_durably({tmp_dir / name, dir / name, util::Placement::kNoReplace}, parts);
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

QuarantineStore::QuarantineStore(store::Database& db, const std::filesystem::path& data_dir)
    : db_(db), directory_(data_dir / "quarantine") {}

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
  std::string reasons = request.verdict.reasons_text();
  std::string score = format_score(request.verdict.score);
  std::lock_guard lock(*mutex_);
  QuarantinedRow row;
  row.id = e.id;
  row.held_at = store::unix_now();
  row.client_ip = e.client_ip;
  row.sender_kind = std::string(mail::to_string(e.sender_kind));
  row.sender = e.sender;
  row.user_domain = e.domain;
  row.identity = request.identity;
  row.mail_from = e.mail_from;
  row.rcpt_to = e.rcpt_to;
  row.subject = summary.subject;
  row.header_message_id = summary.message_id;
  row.size = request.message.size();
  row.check_name = request.verdict.check;
  row.reasons = std::move(reasons);
  row.response = request.response;
  auto inserted = store::QuarantineRows(db_).insert(row, score);
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
  std::lock_guard lock(*mutex_);
  return store::QuarantineRows(db_).list(filter);
}

Result<std::optional<QuarantinedRow>> QuarantineStore::find_locked(const std::string& id) {
  return store::QuarantineRows(db_).find(id);
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
    auto changed = db_.transaction([&]() -> Result<void> {
      auto row = find_locked(id);
      if (!row) return tl::unexpected(row.error());
      if (!*row) return fail("no quarantined message " + id);
      if ((*row)->status == "deleted") return fail("quarantined message " + id + " was deleted");
      return store::QuarantineRows(db_).mark_deleted(id);
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
    auto updated = store::QuarantineRows(db_).mark_released(id, store::unix_now(), by, queue_id);
    if (!updated) return tl::unexpected(updated.error());
    return queue_id;
  });
}

CommandOutcome release_answer(std::string_view result) {
  CommandOutcome outcome;
  outcome.ok = !result.starts_with(kErrorPrefix);
  outcome.text = std::string(outcome.ok ? result : result.substr(kErrorPrefix.size()));
  return outcome;
}

Result<size_t> QuarantineStore::process_commands(queue::Spool& spool,
                                                 queue::MailInjector* injector) {
  std::lock_guard lock(*mutex_);
  store::GatewayCommands commands(db_);
  auto found = commands.pending({store::CommandKind::kRelease}, store::kCommandsPerLook);
  if (!found) return tl::unexpected(found.error());
  const auto& pending = *found;
  for (const auto& command : pending) {
    auto released = release_locked(command.target, command.requested_by, spool, injector);
    std::string result = released ? "released " + command.target + " as queue id " + *released
                                  : std::string(kErrorPrefix) + released.error().message;
    auto done = commands.complete(command.id, store::unix_now(), result);
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
