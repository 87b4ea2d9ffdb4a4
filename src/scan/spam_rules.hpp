// Heuristic spam rules (F-SPAM): each rule has a name, fires with a one-line text saying what it
// saw, and adds its score (points on the classifier's scale, see spam_classifier.hpp). The
// scores sit next to the rules in spam_rules.cpp. Trust: works on bounded MessageText and on the
// raw message (GTUBE is a byte search).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "scan/mime_text.hpp"

namespace pw::scan {

struct SpamReason {
  std::string rule;  // "MISSING_DATE", "BAYES", ...
  std::string text;  // what it saw, one line
  double score = 0;  // points added to the message's score
};

// The rules that fire on this message, in a fixed order.
std::vector<SpamReason> apply_spam_rules(std::string_view raw_message, const MessageText& text);

// The names of every rule (for documentation and tests).
std::vector<std::string_view> spam_rule_names();

}  // namespace pw::scan
