// Heuristic spam rules (F-SPAM): each rule has a name and fires with a one-line text saying what
// it saw. With a model a rule is one of its features; `score` is the rule's fallback points for
// a node without a model (see spam_classifier.hpp). Trust: works on bounded MessageText and on the
// raw message (GTUBE is a byte search).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "scan/mime_text.hpp"

namespace pw::scan {

struct SpamReason {
  std::string rule;  // "GTUBE", "BAYES", ...
  std::string text;  // what it saw, one line
  double score = 0;  // points it added to the message's score
};

// The rules that fire on this message, in a fixed order.
std::vector<SpamReason> apply_spam_rules(std::string_view raw_message, const MessageText& text);

// The names of every rule (for documentation and tests).
std::vector<std::string_view> spam_rule_names();

}  // namespace pw::scan
