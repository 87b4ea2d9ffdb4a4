// F-SPAM (first part): the content verdict. Until the classifier exists, the one spam signal is
// GTUBE, the standard anti-UBE test string of SpamAssassin; the verdict goes through the same
// interface the scanners will use: quarantine when the user blocks spam, and a spam mark that
// counts towards automatic locks either way.
#include "policy/check.hpp"

namespace pw::policy::checks {
namespace {

constexpr std::string_view kGtube =
    "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

class SpamContent final : public Check {
 public:
  std::string_view name() const override { return "spam"; }
  Verdict evaluate(const Transaction& t, CheckContext&) const override {
    if (t.stage != Stage::kData) return pass();
    if (t.message.find(kGtube) == std::string_view::npos) return pass();
    Verdict v;
    v.check = std::string(name());
    v.spam = true;
    v.score = 1000;
    v.reasons.push_back({"GTUBE", "the message contains the GTUBE test string", 1000});
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
