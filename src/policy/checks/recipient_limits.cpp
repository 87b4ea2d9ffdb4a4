// F-RCPT-DAY: recipients per rolling 24 hours (0 = no limit), counted over accepted messages plus
// the recipients of the transaction in progress. F-INVALID-RCPT: after N invalid recipients in
// 24 hours (bad syntax at RCPT, permanent failures at delivery) the user is restricted: its MAIL
// and RCPT are refused until the count falls below the limit or is reset by an administrator.
#include <fmt/format.h>

#include "policy/check.hpp"
#include "policy/checks/common.hpp"

namespace pw::policy::checks {
namespace {

class RecipientLimits final : public Check {
 public:
  std::string_view name() const override { return "recipient_limit"; }
  Verdict evaluate(const Transaction& t, CheckContext& c) const override {
    const auto& s = *t.settings;
    if (t.stage != Stage::kMail && t.stage != Stage::kRcpt) return pass();
    if (s.invalid_recipient_limit > 0) {
      int64_t bad = c.counters.sum(t.user_subject(), counter::kInvalidRecipients, 86400, t.now);
      if (bad >= s.invalid_recipient_limit)
        return refuse(name(), Action::kReject,
                      {550, "5.7.1",
                       fmt::format("{} is restricted: {} invalid recipients in the last "
                                   "24 hours (limit {}); contact {}",
                                   t.sender.name, bad, s.invalid_recipient_limit, contact(t))},
                      "invalid_recipient_limit",
                      fmt::format("{} invalid recipients in 24 hours (limit {})", bad,
                                  s.invalid_recipient_limit),
                      counted(bad, s.invalid_recipient_limit));
    }
    if (t.stage == Stage::kRcpt && s.max_recipients_per_day > 0) {
      int64_t used = c.counters.sum(t.user_subject(), counter::kRecipients, 86400, t.now) +
                     static_cast<int64_t>(t.recipients.size());
      if (used >= s.max_recipients_per_day)
        return refuse(
            name(), Action::kTempfail,
            {452, "4.5.3",
             fmt::format("Daily recipient limit reached for {}: {} of {} in "
                         "the last 24 hours; try again later",
                         t.sender.name, used, s.max_recipients_per_day)},
            "max_recipients_per_day",
            fmt::format("{} recipients in 24 hours (limit {})", used, s.max_recipients_per_day),
            counted(used, s.max_recipients_per_day));
    }
    return pass();
  }
};

}  // namespace

std::unique_ptr<Check> make_recipient_limits() { return std::make_unique<RecipientLimits>(); }

}  // namespace pw::policy::checks
