// Recovery at start: the outcome journal replayed into the log, then every spool file read back
// into the queue (or logged as unreadable), and log entries whose file is gone marked lost.
#include <fcntl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>

#include "mail/header_summary.hpp"
#include "obs/metrics.hpp"
#include "queue/queue_state.hpp"

namespace pw::queue {

Result<SpoolContent> read_spool_file(const std::filesystem::path& path, bool with_message) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot open " + path.string());
  std::string first;
  std::getline(in, first);
  auto envelope = Envelope::from_json_line(first);
  if (!envelope) return fail(path.string() + ": " + envelope.error().message);
  SpoolContent content{std::move(*envelope), {}};
  if (with_message) {
    content.message.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return content;
}

// The message log's record of a spooled message.
store::ReceivedMessage received_record(const Envelope& envelope, std::string message_id,
                                       std::string subject, bool is_bounce) {
  store::ReceivedMessage received;
  received.id = envelope.id;
  received.received_at = envelope.received_at;
  received.client_ip = envelope.client_ip;
  received.helo = envelope.helo;
  received.tls = envelope.tls;
  received.auth_user = envelope.auth_user;
  received.sender_kind = std::string(mail::to_string(envelope.sender_kind));
  received.sender = envelope.sender;
  received.user_domain = envelope.domain;
  received.mail_from = envelope.mail_from;
  received.size = envelope.size;
  received.message_id = std::move(message_id);
  received.subject = std::move(subject);
  received.is_bounce = is_bounce;
  received.recipients = envelope.rcpt_to;
  received.identity = envelope.identity;
  return received;
}

// Outcomes of the journal that the log had not committed when the last run ended are written
// to the log now, so nothing the last run delivered is delivered again. A message whose arrival
// the log had not committed either is logged from its spool file first.
Result<size_t> replay_journal(const Spool& spool, store::MessageLog& log) {
  auto outcomes = OutcomeJournal::read_all(spool.journal_dir());
  std::unordered_map<std::string, std::vector<store::RecipientUpdate>> by_message;
  std::vector<std::string> order;
  for (auto& u : outcomes) {
    if (!store::is_final(u.status)) continue;
    auto [it, inserted] = by_message.try_emplace(u.message_id);
    if (inserted) order.push_back(u.message_id);
    it->second.push_back(std::move(u));
  }
  size_t applied = 0;
  auto replayed = log.database().transaction([&]() -> Result<void> {
    for (const auto& id : order) {
      auto row = log.find(id);
      if (!row) return tl::unexpected(row.error());
      if (!*row) {
        auto content = read_spool_file(spool.incoming_dir() / id, true);
        if (!content) continue;  // neither logged nor spooled: nothing is owed for it
        auto summary = mail::summarize_headers(content->message);
        bool is_bounce = content->envelope.mail_from.empty() &&
                         content->envelope.sender_kind == mail::Origin::kDsn;
        auto received =
            received_record(content->envelope, summary.message_id, summary.subject, is_bounce);
        if (auto r = log.record_received(received); !r) return r;
        row = log.find(id);
        if (!row) return tl::unexpected(row.error());
        if (!*row) continue;
      }
      for (const auto& u : by_message[id]) {
        auto current = std::find_if((*row)->recipients.begin(), (*row)->recipients.end(),
                                    [&](const auto& r) { return r.rcpt == u.rcpt; });
        if (current == (*row)->recipients.end() || store::is_final(current->status)) continue;
        if (auto r = log.record_recipient(u); !r) return r;
        ++applied;
      }
    }
    return {};
  });
  if (!replayed) return tl::unexpected(replayed.error());
  return applied;
}

namespace {

// The journal's outcomes written to the log, its files removed, a fresh journal opened.
Result<void> replay_and_reopen_journal(const Spool& spool, int64_t rotate_bytes,
                                       std::optional<OutcomeJournal>& opened,
                                       store::MessageLog& log) {
  auto journal_files = OutcomeJournal::files(spool.journal_dir());
  auto replayed = replay_journal(spool, log);
  if (!replayed) return tl::unexpected(replayed.error());
  std::error_code removed;
  for (const auto& path : journal_files) std::filesystem::remove(path, removed);
  auto journal = OutcomeJournal::open(spool.journal_dir(), rotate_bytes);
  if (!journal) return tl::unexpected(journal.error());
  opened.emplace(std::move(*journal));
  if (*replayed > 0)
    spdlog::info("event=journal_replayed outcomes={} files={}", *replayed, journal_files.size());
  return {};
}

// A spool file whose message the log knows but does not list as pending: its recipients were
// all final before a crash. If its end was recorded (the DSN, when one was owed, is in the spool
// too), only the file's removal was lost: true, and the file is removed. Otherwise its row goes
// into `by_id`, so it is finished again and a DSN owed for a bounce is never lost.
bool finished_before_crash(store::MessageLog& log, const std::string& id,
                           const std::filesystem::path& path,
                           std::unordered_map<std::string, store::MessageRow>& by_id) {
  auto known = log.known(id);
  if (!known || !*known) return false;
  auto events = log.events(id);
  bool ended = events && std::any_of(events->begin(), events->end(), [](const auto& e) {
                 return e.event == "completed" || e.event == "dsn_sent";
               });
  auto row = ended ? Result<std::optional<store::MessageRow>>() : log.find(id);
  if (ended || !row || !*row) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
    return true;
  }
  by_id.emplace(id, std::move(**row));
  return false;
}

void restore_recipients(Message& message, const store::MessageRow& row) {
  for (auto& r : message.recipients) {
    for (const auto& logged : row.recipients) {
      if (logged.rcpt != r.address) continue;
      r.status = logged.status;
      r.attempts = logged.attempts;
      r.next_attempt = logged.next_attempt_at;
      r.last_reply = logged.last_reply;
      r.remote = logged.remote_host;
    }
  }
}

// Log entries whose spool file is gone cannot be delivered: say so in the log.
void mark_missing(store::LogWriter& log_writer,
                  const std::unordered_map<std::string, store::MessageRow>& by_id) {
  for (const auto& [id, row] : by_id) {
    for (const auto& r : row.recipients) {
      if (store::is_final(r.status)) continue;
      store::RecipientUpdate update{
          id, r.rcpt, DeliveryStatus::kDeleted, r.attempts, r.next_attempt_at, "spool file missing",
          "", "lost"};
      log_writer.submit([update](store::MessageLog& l) { return l.record_recipient(update); });
    }
    obs::metrics().count(obs::Outcome::kSpoolMissing);
    spdlog::error("event=spool_file_missing id={}", id);
  }
}

std::vector<std::filesystem::path> spool_files(const std::filesystem::path& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

Result<size_t> QueueManager::recover(store::MessageLog& log) {
  auto& s = *state_;
  if (auto r = replay_and_reopen_journal(s.spool, s.config.journal_rotate_bytes, s.journal, log);
      !r)
    return tl::unexpected(r.error());
  auto pending = log.pending();
  if (!pending) return tl::unexpected(pending.error());
  std::unordered_map<std::string, store::MessageRow> by_id;
  for (auto& row : *pending) by_id.emplace(row.id, std::move(row));
  size_t restored = 0, ingested = 0, finished = 0, broken = 0;
  for (const auto& path : spool_files(s.spool.incoming_dir())) {
    std::string id = path.filename().string();
    if (!by_id.contains(id) && finished_before_crash(log, id, path, by_id)) {
      ++finished;
      continue;
    }
    auto it = by_id.find(id);
    auto content = read_spool_file(path, it == by_id.end());
    if (!content) {
      obs::metrics().count(obs::Outcome::kSpoolUnreadable);
      spdlog::error("event=spool_unreadable file={} error=\"{}\"", path.string(),
                    content.error().message);
      ++broken;
      continue;
    }
    if (it == by_id.end()) {
      auto summary = mail::summarize_headers(content->message);
      bool is_bounce = content->envelope.sender_kind == mail::Origin::kDsn;
      asio::post(s.loop, [state = state_, envelope = content->envelope, summary, is_bounce] {
        state->ingest(envelope, summary.message_id, summary.subject, is_bounce);
      });
      ++ingested;
      continue;
    }
    auto message = s.make_message(content->envelope, it->second.is_bounce);
    restore_recipients(*message, it->second);
    asio::post(s.loop, [state = state_, message] { state->add(message); });
    by_id.erase(it);
    ++restored;
  }
  mark_missing(s.log, by_id);
  spdlog::info("event=queue_recovered restored={} new={} finished={} unreadable={} missing={}",
               restored, ingested, finished, broken, by_id.size());
  queued_.store(restored + ingested);
  return restored + ingested;
}

}  // namespace pw::queue
