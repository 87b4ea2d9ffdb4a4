// F-LIMITS: outgoing connection limits per minute, hour, day, week and month (on/off per user).
// A session counts once, at its first MAIL that passes; refused sessions do not count. Over a
// limit the MAIL gets a 4xx: the client keeps the mail and tries later, nothing is lost.
#include <fmt/format.h>

#include <array>

#include "policy/check.hpp"

namespace pw::policy::checks {
namespace {

class ConnectionLimits final : public Check {
 public:
  std::string_view name() const override { return "connection_limit"; }
  Verdict evaluate(const Transaction& t, CheckContext& c) const override {
    const auto& s = *t.settings;
    if (t.stage != Stage::kMail || !s.connection_limits || t.session_counted) return pass();
    struct Window {
      std::string_view label;
      int64_t seconds;
      int64_t limit;
    };
    const std::array<Window, 5> windows = {
        Window{"minute", 60, s.limit_per_minute}, Window{"hour", 3600, s.limit_per_hour},
        Window{"day", 86400, s.limit_per_day}, Window{"week", 7 * 86400, s.limit_per_week},
        Window{"month", 30 * 86400, s.limit_per_month}};
    for (const auto& w : windows) {
      if (w.limit <= 0) continue;
      int64_t used = c.counters.sum(t.user_subject(), counter::kConnections, w.seconds, t.now);
      if (used < w.limit) continue;
      return refuse(name(), Action::kTempfail,
                    {450, "4.7.1",
                     fmt::format("Connection limit per {} reached for {}: {} of {}; "
                                 "try again later",
                                 w.label, t.sender.name, used, w.limit)},
                    fmt::format("limit_per_{}", w.label),
                    fmt::format("{} connections in the last {} (limit {})", used, w.label, w.limit),
                    counted(used, w.limit));
    }
    return pass();
  }
};

}  // namespace

std::unique_ptr<Check> make_connection_limits() { return std::make_unique<ConnectionLimits>(); }

}  // namespace pw::policy::checks
