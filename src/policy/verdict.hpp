// What a policy check decides about a transaction, and why. Every check returns one; the chain
// keeps the first that is not a pass (and all reasons), and the log stores them all.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace pw::policy {

enum class Action { kPass, kTempfail, kReject, kQuarantine, kDiscard };

std::string_view to_string(Action action);

// One named reason: the rule that fired, what it saw (counter value and threshold, score), and
// the score it adds (0 for rules that are not scores).
struct Reason {
  std::string rule;
  std::string text;
  double score = 0;
};

struct Verdict {
  Action action = Action::kPass;
  std::string check;  // the check that decided: "gtube", "rate_limit", "locked", ...
  std::string reply;  // the SMTP reply for tempfail/reject: "550 5.7.1 ..."
  std::vector<Reason> reasons;
  double score = 0;
  bool spam = false;     // confident spam: counts towards automatic locks (F-LOCK)
  bool unsure = false;   // the classifier is unsure: passed, logged and counted apart
  bool monitor = false;  // the check is in monitor mode: logged as "would block", not enforced

  bool passed() const { return action == Action::kPass; }
  // "rule: text; rule: text"
  std::string reasons_text() const;
};

}  // namespace pw::policy
