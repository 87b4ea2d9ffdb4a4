// The spam classifier (F-SPAM): the message's text (mime_text), its tokens (spam_tokenizer) and
// the heuristic rules that fire (spam_rules, as "rule:NAME" features), scored by the
// statistical model (spam_model) and calibrated on cross-validation of the training folders.
//
// Three verdicts, on points = 100 × the calibrated spam probability:
//   spam    points ≥ threshold ([spam] threshold, 99; a domain's spam_threshold moves it), and
//           the model knew at least [spam] min_known_tokens of the message's tokens; or GTUBE
//           (1000 points) whatever the model says. Only spam is held and counts towards a lock.
//   unsure  points ≥ unsure_threshold ([spam] unsure_threshold, 50), or spam by points on too
//           few known tokens: delivered, logged with its score, counted apart.
//   ham     below both.
// Without a model only GTUBE is spam; the rules' fallback points (spam_rules) can make a
// message unsure, never spam.
//
//   auto c = pw::scan::SpamClassifier(model, limits);   // model: optional
//   SpamReport r = c.classify(message_bytes, cutoffs);
// Synchronous CPU work: run it on a worker thread. A classifier is immutable after construction
// and shared read-only by every session (classify is const and thread-safe).
#pragma once
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scan/mime_text.hpp"
#include "scan/spam_model.hpp"
#include "scan/spam_rules.hpp"

namespace pw::scan {

// Points for a calibrated probability of 1.
inline constexpr double kModelPoints = 100;
// Tokens named in the model's reason (the decision trail, never an SMTP reply).
inline constexpr std::size_t kReasonTokens = 5;

enum class SpamVerdict { kHam, kUnsure, kSpam };
std::string_view to_string(SpamVerdict verdict);

struct SpamCutoffs {
  double threshold = 99;         // points at or above which a message is spam
  double unsure_threshold = 50;  // points at or above which it is unsure
  std::size_t min_known_tokens = 20;
};

struct SpamReport {
  double score = 0;
  double threshold = 0;
  double unsure_threshold = 0;
  SpamVerdict verdict = SpamVerdict::kHam;
  bool spam = false;                        // verdict == kSpam
  bool unsure = false;                      // verdict == kUnsure
  std::optional<double> model_probability;  // calibrated; nullopt: no model loaded
  std::size_t known_tokens = 0;             // tokens the model had an opinion on
  std::vector<SpamReason> reasons;          // BAYES first, then the rules that fired
  bool limit_hit = false;                   // MIME limits: not all text was read
};

// The model's features of a message: its tokens and a "rule:NAME" feature for each rule that
// fired (GTUBE aside). Training and classification both use this one function.
FeatureSet message_features(std::string_view raw_message, const MessageText& text,
                            std::vector<SpamReason>* fired = nullptr);

class SpamClassifier {
 public:
  SpamClassifier(std::optional<SpamModel> model, MimeTextLimits limits);

  SpamReport classify(std::string_view message, const SpamCutoffs& cutoffs) const;
  // For callers that already have the text (and for tests).
  SpamReport classify_text(std::string_view raw_message, const MessageText& text,
                           const SpamCutoffs& cutoffs) const;

  bool has_model() const { return model_.has_value(); }
  const SpamModel* model() const { return model_ ? &*model_ : nullptr; }
  const MimeTextLimits& limits() const { return limits_; }

 private:
  void judge(SpamReport& report, const SpamCutoffs& cutoffs, bool gtube) const;

  std::optional<SpamModel> model_;
  MimeTextLimits limits_;
};

}  // namespace pw::scan
