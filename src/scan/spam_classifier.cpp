// Scores a message with the model (tokens and rule features), calibrates, and gives one of three
// verdicts with its reasons.
// Trust: the message is hostile; MIME limits bound the text, the tokenizer bounds the tokens.
#include "scan/spam_classifier.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "scan/spam_tokenizer.hpp"

namespace pw::scan {
namespace {

constexpr std::string_view kGtube = "GTUBE";

std::string quoted_tokens(const MessageText& text, const ModelScore& s) {
  std::vector<std::uint32_t> wanted;
  for (const auto& clue : s.clues) wanted.push_back(clue.first);
  // Rule features are not in the text's tokens: they are named by the rules' own reasons.
  const auto token_text = token_names(text, wanted);
  std::string names;
  for (const auto& [feature, weight] : s.clues) {
    auto it = token_text.find(feature);
    if (it == token_text.end()) continue;
    if (!names.empty()) names += ", ";
    names += '"' + it->second + '"';
  }
  return names;
}

}  // namespace

std::string_view to_string(SpamVerdict verdict) {
  switch (verdict) {
    case SpamVerdict::kSpam:
      return "spam";
    case SpamVerdict::kUnsure:
      return "unsure";
    case SpamVerdict::kHam:
      return "ham";
  }
  return "ham";
}

FeatureSet message_features(std::string_view raw, const MessageText& text,
                            std::vector<SpamReason>* fired) {
  FeatureSet features = tokenize(text).features;
  auto rules = apply_spam_rules(raw, text);
  bool added = false;
  for (const auto& r : rules) {
    if (r.rule == kGtube) continue;
    features.push_back(feature_of("rule:" + r.rule));
    added = true;
  }
  if (added) {
    std::sort(features.begin(), features.end());
    features.erase(std::unique(features.begin(), features.end()), features.end());
  }
  if (fired) *fired = std::move(rules);
  return features;
}

SpamClassifier::SpamClassifier(std::optional<SpamModel> model, MimeTextLimits limits)
    : model_(std::move(model)), limits_(limits) {}

SpamReport SpamClassifier::classify(std::string_view message, const SpamCutoffs& cutoffs) const {
  const MessageText text = extract_message_text(message, limits_);
  return classify_text(message, text, cutoffs);
}

SpamReport SpamClassifier::classify_text(std::string_view raw, const MessageText& text,
                                         const SpamCutoffs& cutoffs) const {
  SpamReport report;
  report.threshold = cutoffs.threshold;
  report.unsure_threshold = std::min(cutoffs.unsure_threshold, cutoffs.threshold);
  report.limit_hit = text.limit_hit;
  std::vector<SpamReason> rules;
  const FeatureSet features = message_features(raw, text, &rules);
  bool gtube = false;
  if (model_) {
    const ModelScore s = model_->score(features, kReasonTokens);
    report.model_probability = s.probability;
    report.known_tokens = s.known;
    const std::string names = quoted_tokens(text, s);
    const double points = std::round(kModelPoints * s.probability * 10) / 10;
    report.reasons.push_back(
        {"BAYES",
         fmt::format("{} model: spam probability {:.3f} (raw {:.3f}, {} known tokens){}{}",
                     to_string(model_->kind()), s.probability, s.raw, s.known,
                     names.empty() ? "" : "; tokens ", names),
         points});
    report.score = points;
  }
  for (auto& r : rules) {
    if (r.rule == kGtube) {
      gtube = true;
      report.score += r.score;
    } else if (model_) {
      r.text += " (a feature of the model)";
      r.score = 0;
    } else {
      report.score += r.score;
    }
    report.reasons.push_back(std::move(r));
  }
  judge(report, cutoffs, gtube);
  return report;
}

void SpamClassifier::judge(SpamReport& report, const SpamCutoffs& cutoffs, bool gtube) const {
  if (gtube) {
    report.verdict = SpamVerdict::kSpam;
  } else if (model_ && report.score >= report.threshold) {
    report.verdict = SpamVerdict::kSpam;
    if (report.known_tokens < cutoffs.min_known_tokens) {
      report.verdict = SpamVerdict::kUnsure;
      report.reasons.push_back(
          {"FEW_KNOWN_TOKENS",
           fmt::format("only {} of the message's tokens are known to the model (fewer than {}): "
                       "never spam on the model alone",
                       report.known_tokens, cutoffs.min_known_tokens),
           0});
    }
  } else if (report.score >= report.unsure_threshold) {
    report.verdict = SpamVerdict::kUnsure;
  }
  report.spam = report.verdict == SpamVerdict::kSpam;
  report.unsure = report.verdict == SpamVerdict::kUnsure;
}

}  // namespace pw::scan
