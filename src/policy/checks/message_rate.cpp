// F-LIMITS "outgoing limit": messages accepted per rolling hour. Refused and quarantined mail
// does not count. Over the limit: 450 at MAIL, the client retries later.
#include <fmt/format.h>

#include "policy/check.hpp"

namespace pw::policy::checks {
namespace {

class MessageRate final : public Check {
 public:
  std::string_view name() const override { return "message_rate"; }
  Verdict evaluate(const Transaction& t, CheckContext& c) const override {
    int64_t limit = t.settings->messages_per_hour;
    if (t.stage != Stage::kMail || limit <= 0) return pass();
    int64_t used = c.counters.sum(t.user_subject(), counter::kMessages, 3600, t.now);
    if (used < limit) return pass();
    return refuse(name(), Action::kTempfail,
                  {450, "4.7.1",
                   fmt::format("Outgoing limit reached for {}: {} messages in the last "
                               "hour (limit {}); try again later",
                               t.sender.name, used, limit)},
                  "messages_per_hour",
                  fmt::format("{} messages in the last hour (limit {})", used, limit),
                  counted(used, limit));
  }
};

}  // namespace

std::unique_ptr<Check> make_message_rate() { return std::make_unique<MessageRate>(); }

}  // namespace pw::policy::checks
