// F-LOCK-WHY: the latest spam messages counted for each user and identity (queue id, time, the
// check that caught them, held or not), so that a lock can name the mail that caused it.
// Thread-safe (one mutex; called from the blocking pool). Bounded: at most `per_subject`
// messages per subject (older ones go first) and `max_subjects` subjects (the least recently
// counted go first). Memory only: the counters survive a restart, the ids do not, so a lock
// soon after a restart may name fewer messages than it counts; the lock itself keeps the ids it
// names in its reason (the `locks` table).
#pragma once
#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace pw::policy {

// What became of a spam message the session counted.
enum class SpamOutcome { kHeld, kRefused, kDiscarded, kSent };
// "held in quarantine", "refused", "discarded", "sent (spam not blocked)".
std::string_view to_string(SpamOutcome outcome);

struct SpamMessage {
  std::string queue_id;  // the quarantine id too when held
  int64_t at = 0;        // unix seconds
  std::string check;     // the check that caught it: "spam", "virus", "fuzzy_hash", ...
  SpamOutcome outcome = SpamOutcome::kHeld;
  std::string detail;  // the virus name for "virus"; empty for the others (never their reasons)
};

class SpamEvidence {
 public:
  SpamEvidence(size_t max_subjects, size_t per_subject);

  void record(const std::string& subject, SpamMessage message);
  // The last `limit` messages of `subject` counted at or after `since`, oldest first.
  std::vector<SpamMessage> recent(const std::string& subject, int64_t since, size_t limit) const;
  size_t subjects() const;

 private:
  struct Entry {
    std::deque<SpamMessage> messages;
    std::list<std::string>::iterator order;  // position in order_
  };

  const size_t max_subjects_;
  const size_t per_subject_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> order_;  // subjects, most recently counted first
};

}  // namespace pw::policy
