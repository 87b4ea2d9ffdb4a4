// Combines the model's probability and the rules into one score with reasons.
// Trust: the message is hostile; MIME limits bound the text, the tokenizer bounds the tokens.
#include "scan/spam_classifier.hpp"

#include <fmt/format.h>

#include <cmath>
#include <utility>

#include "scan/spam_tokenizer.hpp"

namespace pw::scan {

SpamClassifier::SpamClassifier(std::optional<SpamModel> model, MimeTextLimits limits)
    : model_(std::move(model)), limits_(limits) {}

SpamReport SpamClassifier::classify(std::string_view message, double threshold) const {
  const MessageText text = extract_message_text(message, limits_);
  return classify_text(message, text, threshold);
}

SpamReport SpamClassifier::classify_text(std::string_view raw, const MessageText& text,
                                         double threshold) const {
  SpamReport report;
  report.threshold = threshold;
  report.limit_hit = text.limit_hit;
  if (model_) {
    const TokenSet tokens = tokenize(text);
    const ModelScore s = model_->score(tokens.features, kReasonTokens);
    std::vector<std::uint32_t> wanted;
    for (const auto& clue : s.clues) wanted.push_back(clue.first);
    const auto token_text = token_names(text, wanted);
    report.model_probability = s.probability;
    std::string names;
    for (const auto& [feature, weight] : s.clues) {
      auto it = token_text.find(feature);
      if (it == token_text.end()) continue;
      if (!names.empty()) names += ", ";
      names += '"' + it->second + '"';
    }
    const double points = std::round(kModelPoints * s.probability * 10) / 10;
    report.reasons.push_back(
        {"BAYES",
         fmt::format("{} model: spam probability {:.3f}{}{}", to_string(model_->kind()),
                     s.probability, names.empty() ? "" : "; tokens ", names),
         points});
  }
  for (auto& reason : apply_spam_rules(raw, text)) report.reasons.push_back(std::move(reason));
  for (const auto& r : report.reasons) report.score += r.score;
  report.spam = report.score >= threshold;
  return report;
}

}  // namespace pw::scan
