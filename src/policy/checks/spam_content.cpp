// F-SPAM: the content verdict of the spam classifier (scan/spam_classifier: model + rules, GTUBE
// among them). The classification runs on a worker thread before the chain and its report is in
// the transaction. A message at or over its threshold is spam: it counts towards the automatic
// locks (F-LOCK) either way, and is quarantined only when the user blocks spam. No report (no
// classifier running) is a pass: the classifier is always set up by serve, a model or not.
#include <fmt/format.h>

#include "policy/check.hpp"

namespace pw::policy::checks {
namespace {

class SpamContent final : public Check {
 public:
  std::string_view name() const override { return "spam"; }
  Verdict evaluate(const Transaction& t, CheckContext&) const override {
    if (t.stage != Stage::kData || !t.spam || !t.spam->spam) return pass();
    Verdict v;
    v.check = std::string(name());
    v.spam = true;
    v.score = t.spam->score;
    for (const auto& r : t.spam->reasons) v.reasons.push_back({r.rule, r.text, r.score});
    v.reasons.push_back({"spam_score",
                         fmt::format("score {:.1f} at or over the threshold {:.0f}", t.spam->score,
                                     t.spam->threshold),
                         0});
    if (t.settings->block_spam) {
      v.action = Action::kQuarantine;
      v.reply = "550 5.7.1 Message blocked as spam and held in quarantine";
    }
    return v;
  }
};

}  // namespace

std::unique_ptr<Check> make_spam_content() { return std::make_unique<SpamContent>(); }

}  // namespace pw::policy::checks
