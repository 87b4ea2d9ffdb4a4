// The outgoing quarantine (F-QRESP, F-RELEASE): held messages as files under
// <data-dir>/quarantine/<id>.eml (envelope JSON line, then the message, like spool files) and one
// row each in the `quarantine` table; listing, reading, release into the queue, and deletion.
// Trust: held bytes come from an SMTP client; ids and filters come from the admin (CLI, API):
// ids are checked before they name a file, filters are bound, never spliced into SQL.
//
// How the gateway uses it (all calls are blocking: SQLite and fsync; never on an event loop):
//   * Construct one QuarantineStore on a Database connection of its own (not the LogWriter's);
//     calls are serialised by an internal mutex, so any blocking-pool thread may call them.
//   * When the policy chain returns Action::kQuarantine, on the blocking pool (util/run_blocking):
//     hold({envelope, identity, verdict, response, message}). Only after it succeeds may the
//     session answer 250 (response "accepted") or 550 (response "rejected"): a held message is
//     durable like a spooled one. envelope.id becomes the quarantine id.
//   * Periodically (with the sender reload), on the blocking pool:
//     process_commands(spool, &injector) carries out releases the CLI asked for.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "policy/verdict.hpp"
#include "queue/spool.hpp"
#include "store/database.hpp"
#include "store/quarantine_rows.hpp"
#include "util/result.hpp"

namespace pw::queue {
class MailInjector;
}

namespace pw::quarantine {

struct HoldRequest {
  mail::Envelope envelope;   // as the session would have spooled it; id = the quarantine id
  std::string identity;      // the sender identity (header From address) the policy judged
  policy::Verdict verdict;   // the verdict that quarantined it (check, reasons, score)
  std::string response;      // what the client heard: "rejected" (550) or "accepted" (250)
  std::string_view message;  // the raw message, CRLF, exactly as it would be spooled
};

using store::QuarantinedRow;
using store::QuarantineFilter;

struct HeldMessage {
  mail::Envelope envelope;  // exactly as held
  std::string message;      // the raw bytes, CRLF
};

// The answer the gateway left for a release (process_commands).
struct CommandOutcome {
  bool ok = false;
  std::string text;  // one line: "released ID as queue id Q" or the error
};
CommandOutcome release_answer(std::string_view result);

// F-DKIM: the DKIM-Signature field a released message gets ("" = sent unsigned), from the
// original envelope (its user and domain choose the selector) and the held message.
using ReleaseSigner =
    std::function<std::string(const mail::Envelope& original, std::string_view message)>;

class QuarantineStore {
 public:
  QuarantineStore(store::Database& db, const std::filesystem::path& data_dir);

  // Released messages are signed like accepted ones when a signer is set.
  void set_release_signer(ReleaseSigner signer) { release_signer_ = std::move(signer); }

  // Blocking. Writes <data-dir>/quarantine/<id>.eml (tmp file, fdatasync, link into place,
  // directory fsync) and only then inserts the row, so a row never names a missing file.
  // Fails when the id is already held.
  Result<void> hold(const HoldRequest& request);

  // Newest first.
  Result<std::vector<QuarantinedRow>> list(const QuarantineFilter& filter);
  Result<std::optional<QuarantinedRow>> find(const std::string& id);
  // The held envelope and message (also after a release; not after a deletion).
  Result<HeldMessage> read(const std::string& id);
  // Marks the row deleted, then unlinks the file. An error for an unknown or deleted id.
  Result<void> remove(const std::string& id);

  // Blocking. Sends a held message on to its original recipients under a new queue id, with
  // the original envelope sender, recipients, sender kind, user and domain. With an injector
  // (inside the gateway) it goes through MailInjector::send (spooled, then queued); without one
  // (no gateway running) it is only written to `spool` and the next start of the gateway logs
  // and delivers it. Returns the new queue id. An error when the id is unknown, already
  // released or deleted. A crash between the spool write and the row update leaves the row
  // "held": releasing it again would send it twice, never zero times.
  Result<std::string> release(const std::string& id, const std::string& by, queue::Spool& spool,
                              queue::MailInjector* injector = nullptr);

  // Blocking; for the gateway. Carries out the releases the CLI left in gateway_commands (oldest
  // first, at most store::kCommandsPerLook per call), recording done_at and the result line of
  // each. Returns how many were carried out (failed releases count: they are answered too).
  Result<size_t> process_commands(queue::Spool& spool, queue::MailInjector* injector);

  const std::filesystem::path& directory() const { return directory_; }

 private:
  Result<std::string> release_locked(const std::string& id, const std::string& by,
                                     queue::Spool& spool, queue::MailInjector* injector);
  Result<std::optional<QuarantinedRow>> find_locked(const std::string& id);
  std::filesystem::path file_of(const std::string& id) const;

  store::Database& db_;
  std::filesystem::path directory_;
  ReleaseSigner release_signer_;
  std::unique_ptr<std::mutex> mutex_ = std::make_unique<std::mutex>();
};

// True for ids that may name a quarantine file: 1..64 of [A-Za-z0-9_-].
bool valid_quarantine_id(std::string_view id);

nlohmann::json to_json(const QuarantinedRow& row);

}  // namespace pw::quarantine
