// F-SPAM: the content verdict of the spam classifier (scan/spam_classifier: model + rules, GTUBE
// among them). The classification runs on a worker thread before the chain and its report is in
// the transaction. Three verdicts:
//   spam    counts towards the automatic locks (F-LOCK) and is quarantined when the user blocks
//           spam;
//   unsure  passed: a decision with the score is logged and the unsure counter counts it; it
//           never counts towards a lock;
//   ham     nothing is logged here.
// The reasons (with the model's tokens) go to the decision trail; the SMTP reply names none.
// Fails open: no report (no classifier running) is a pass; serve always sets the classifier up,
// with a model or without.
#include <fmt/format.h>

#include "policy/check.hpp"

namespace pw::policy::checks {
namespace {

class SpamContent final : public Check {
 public:
  std::string_view name() const override { return "spam"; }
  Verdict evaluate(const Transaction& t, CheckContext&) const override {
    if (t.stage != Stage::kData || !t.spam || (!t.spam->spam && !t.spam->unsure)) return pass();
    const scan::SpamReport& report = *t.spam;
    Verdict v;
    v.check = std::string(name());
    v.score = report.score;
    for (const auto& r : report.reasons) v.reasons.push_back({r.rule, r.text, r.score});
    if (report.unsure) {
      v.unsure = true;
      v.reasons.push_back(
          {"spam_unsure",
           fmt::format("unsure: score {:.1f} at or over {:.0f}, under the spam threshold {:.0f}; "
                       "delivered",
                       report.score, report.unsure_threshold, report.threshold),
           0, scored(report.score, report.threshold)});
      return v;
    }
    v.spam = true;
    v.reasons.push_back({"spam_score",
                         fmt::format("score {:.1f} at or over the threshold {:.0f}", report.score,
                                     report.threshold),
                         0, scored(report.score, report.threshold)});
    if (t.settings->block_spam) {
      v.action = Action::kQuarantine;
      v.response = spam_held();
    }
    return v;
  }
};

}  // namespace

std::unique_ptr<Check> make_spam_content() { return std::make_unique<SpamContent>(); }

}  // namespace pw::policy::checks
