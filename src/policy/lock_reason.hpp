// F-LOCK-WHY: what a lock says about its cause, in the lock's reason (kept with the lock, shown
// in the reply at MAIL) and in the lock mail: how many spam messages in which window, which
// checks caught them and their queue (quarantine) ids. Never the checks' detailed reasons (a
// classifier's tokens): those stay in the decision trail.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "policy/spam_evidence.hpp"

namespace pw::policy {

struct LockEvidence {
  int64_t count = 0;  // spam messages counted in the window
  int64_t window_minutes = 0;
  int64_t threshold = 0;              // lock_spam_threshold
  std::string last_check;             // the check of the message that made the lock
  std::vector<SpamMessage> messages;  // the latest counted, oldest first (may be fewer than count)
};

// "6 spam messages in 10 minutes (more than 5), found by the spam check; quarantine ids A, B, ..."
std::string lock_reason(const LockEvidence& evidence);
// The lock mail's {messages}: one line per message with its id, time, check and outcome.
std::string lock_messages(const LockEvidence& evidence);

}  // namespace pw::policy
