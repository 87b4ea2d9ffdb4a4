// The spam classifier (F-SPAM): the message's text (mime_text), its tokens (spam_tokenizer),
// the statistical model (spam_model, optional) and the heuristic rules (spam_rules) combined
// into one score with named reasons.
//
// Score scale: points. The model adds 100 × its spam probability (reason "BAYES", with the
// probability and the tokens that weighed most); each rule that fires adds its own points
// (GTUBE 1000). A message is spam when score ≥ threshold ([spam] threshold, 50 by default,
// per domain `domain set D spam_threshold=N`). Without a model the rules decide alone.
//
//   auto c = pw::scan::SpamClassifier::load(path, limits);  // or SpamClassifier(nullopt, limits)
//   SpamReport r = c.classify(message_bytes, threshold);
// Synchronous CPU work: run it on a worker thread. A classifier is immutable after construction
// and shared read-only by every session (classify is const and thread-safe).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scan/mime_text.hpp"
#include "scan/spam_model.hpp"
#include "scan/spam_rules.hpp"

namespace pw::scan {

// Points the model adds for a probability of 1.
inline constexpr double kModelPoints = 100;
// Tokens named in the model's reason.
inline constexpr std::size_t kReasonTokens = 5;

struct SpamReport {
  double score = 0;
  double threshold = 0;
  bool spam = false;                        // score >= threshold
  std::optional<double> model_probability;  // nullopt: no model loaded
  std::vector<SpamReason> reasons;          // BAYES first, then the rules that fired
  bool limit_hit = false;                   // MIME limits: not all text was read
};

class SpamClassifier {
 public:
  SpamClassifier(std::optional<SpamModel> model, MimeTextLimits limits);

  SpamReport classify(std::string_view message, double threshold) const;
  // For callers that already have the text (and for tests).
  SpamReport classify_text(std::string_view raw_message, const MessageText& text,
                           double threshold) const;

  bool has_model() const { return model_.has_value(); }
  const SpamModel* model() const { return model_ ? &*model_ : nullptr; }
  const MimeTextLimits& limits() const { return limits_; }

 private:
  std::optional<SpamModel> model_;
  MimeTextLimits limits_;
};

}  // namespace pw::scan
