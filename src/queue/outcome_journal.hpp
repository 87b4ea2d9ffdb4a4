// The outcome journal: every final recipient outcome (delivered, bounced, expired, deleted) is
// appended here the moment it is known, before the batched message log commits it. A process
// killed in between loses nothing: the next start replays the journal into the log, so a
// delivery the log had not committed yet is not made a second time.
// Crash model: a write() survives the death of the process (it is in the page cache); it is not
// fsynced, so after a power loss the fallback is the log (a repeat delivery, never a loss).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "store/message_log.hpp"
#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace pw::queue {

class OutcomeJournal {
 public:
  // Opens a new journal file in `dir` (created if missing) after the ones already there.
  static Result<OutcomeJournal> open(const std::filesystem::path& dir, uint64_t rotate_bytes);

  // Every outcome recorded in the journal files of `dir`, oldest first. Lines cut short by a
  // crash are skipped.
  static std::vector<store::RecipientUpdate> read_all(const std::filesystem::path& dir);
  // The journal files of `dir`, oldest first.
  static std::vector<std::filesystem::path> files(const std::filesystem::path& dir);

  // Appends one line (one write()). Returns the path of a file that just became full when the
  // journal rotated to a new one: the caller removes it once the log has committed everything
  // recorded before (the journal is then no longer needed for it).
  Result<std::filesystem::path> append(const store::RecipientUpdate& update);

  const std::filesystem::path& path() const { return path_; }

 private:
  Result<void> open_next();
  std::filesystem::path dir_;
  std::filesystem::path path_;
  util::UniqueFd fd_;
  uint64_t sequence_ = 0;
  uint64_t size_ = 0;
  uint64_t rotate_bytes_ = 0;
};

}  // namespace pw::queue
