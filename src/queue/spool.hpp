// The durable spool: each accepted message is one file in <data-dir>/spool/incoming, written in
// spool/tmp, synced, renamed and its directory synced before the client hears 250 (F-QUEUE).
// File format: one line of JSON (the envelope), then the message bytes exactly as accepted.
#pragma once
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/envelope.hpp"
#include "util/file_range.hpp"
#include "util/group_sync.hpp"
#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace pw::queue {

// The envelope is a mail/ value; the queue's code names it as its own.
using Envelope = mail::Envelope;

class Spool {
 public:
  // Creates spool/incoming and spool/tmp under `root`, and removes leftovers in tmp (partial
  // writes of a crashed process: never acknowledged, so never owed to anyone). Starts the
  // group-commit thread with `limits` (issue 17 item 1).
  static Result<Spool> open(const std::filesystem::path& root, util::GroupSyncLimits limits = {});

  // A new queue id: unique within the node, sortable by arrival time.
  std::string new_id();

  // Blocking: writes, syncs the file, renames it into incoming/ and syncs the directory. Only
  // after it returns success may the message be acknowledged. Run on a blocking-work thread.
  // `tail`: bytes after the parts, in a file (a large message's body, issue 17 item 4).
  Result<void> store(const Envelope& envelope, const std::vector<std::string_view>& message_parts,
                     const util::FileRange& tail = {});

  // The same without blocking, for the SMTP sessions' hot path: the group-commit thread
  // (util/group_sync) writes the file, then syncs it, renames it and syncs the directory
  // together with the other messages finishing at about the same moment. Only once it has
  // returned success may the message be acknowledged. `message_parts` and `tail` must stay
  // valid until then.
  boost::asio::awaitable<Result<void>> store_grouped(const Envelope& envelope,
                                                     std::vector<std::string_view> message_parts,
                                                     util::FileRange tail = {});
  // An unnamed file (O_TMPFILE) in spool/tmp for a large message while it arrives: on the same
  // file system as the spool, and gone with its descriptor (or a crash), never left behind.
  Result<util::UniqueFd> open_unnamed() const;
  // A finished message's file: kept as an empty spare for a later message while there is room
  // ([spool] spare_files; no inode freed now and none made then), else removed.
  void recycle(const std::filesystem::path& file);
  // Finishes the commits already waiting; later ones fail (the gateway's stop, after the
  // sessions' loops have ended).
  void stop_commits();
  util::GroupSync::Stats commit_stats() const { return group_->stats(); }

  const std::filesystem::path& incoming_dir() const { return incoming_; }
  // Where the queue keeps its outcome journal (queue/outcome_journal).
  const std::filesystem::path& journal_dir() const { return journal_; }

 private:
  util::DurableFile placement_of(const std::string& id) const;

  std::filesystem::path incoming_;
  std::filesystem::path tmp_;
  std::filesystem::path journal_;
  util::UniqueFd incoming_fd_;
  std::shared_ptr<std::atomic<uint32_t>> counter_;
  std::unique_ptr<util::GroupSync> group_;
};

}  // namespace pw::queue
