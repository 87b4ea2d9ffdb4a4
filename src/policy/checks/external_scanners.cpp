// F-SPAM, optional external scanners: rspamd and SpamAssassin's spamd (configured in [rspamd]
// and [spamd], off by default). The session asks them at the end of DATA on a worker thread and
// puts their answers in the transaction; here a "spam" answer becomes the same verdict as the
// spam check's (quarantine when the user blocks spam, else a spam mark that counts towards
// automatic locks), with one reason per scanner naming its score and top symbols. A scanner that
// could not be asked gives 451 (the client retries) unless its on_failure is "accept" or
// the other scanner called the message spam.
#include <fmt/format.h>

#include <algorithm>

#include "policy/check.hpp"

namespace pw::policy::checks {
namespace {

constexpr std::size_t kReasonSymbols = 5;

class ExternalScanners final : public Check {
 public:
  std::string_view name() const override { return "external_scanners"; }
  Verdict evaluate(const Transaction& t, CheckContext&) const override {
    if (t.stage != Stage::kData || !t.external) return pass();
    const scan::ScannerResult* results[] = {t.external->rspamd ? &*t.external->rspamd : nullptr,
                                            t.external->spamd ? &*t.external->spamd : nullptr};
    Verdict v;
    v.check = std::string(name());
    for (const auto* r : results) {
      if (!r || r->outcome != scan::ScanOutcome::kScanned || !r->spam) continue;
      v.spam = true;
      v.score = std::max(v.score, r->score);
      v.reasons.push_back({r->scanner, r->summary(kReasonSymbols), r->score});
    }
    if (!v.spam) {
      // A definite spam answer from one scanner outweighs another's failure; without one, a
      // failure is a 451 unless that scanner's on_failure is "accept".
      for (const auto* r : results) {
        if (!r || r->outcome != scan::ScanOutcome::kFailed || r->accept_on_failure) continue;
        return refuse(name(), Action::kTempfail,
                      {451, "4.3.0",
                       fmt::format("Message could not be checked for spam ({} "
                                   "unavailable); try again later",
                                   r->scanner)},
                      r->scanner + "_unavailable", r->error);
      }
      return pass();
    }
    if (t.settings->block_spam) {
      v.action = Action::kQuarantine;
      v.response = spam_held();
    }
    return v;
  }
};

}  // namespace

std::unique_ptr<Check> make_external_scanners() { return std::make_unique<ExternalScanners>(); }

}  // namespace pw::policy::checks
