// F-NRD: "Reject messages from newly registered domains (less than a day)". The envelope sender's
// domain at MAIL and the header From's at the end of DATA, or their nearest parent in the feed
// (mail.newdom.com by newdom.com), refused when the imported feed says it is younger than
// [nrd] max_age_hours. Domains the feed does not list pass.
#include <fmt/format.h>

#include "policy/check.hpp"
#include "policy/checks/common.hpp"

namespace pw::policy::checks {
namespace {

// "1 day", "2 days", "36 hours"
std::string age_limit(int64_t seconds) {
  if (seconds % 86400 == 0) {
    int64_t days = seconds / 86400;
    return fmt::format("{} day{}", days, days == 1 ? "" : "s");
  }
  int64_t hours = seconds / 3600;
  return fmt::format("{} hour{}", hours, hours == 1 ? "" : "s");
}

class NewDomain final : public Check {
 public:
  std::string_view name() const override { return "new_domain"; }
  Verdict evaluate(const Transaction& t, CheckContext&) const override {
    if (!t.settings->reject_new_domains || t.snapshot == nullptr) return pass();
    if (t.stage == Stage::kMail) return judge(t, domain_of(t.mail_from), "Sender");
    if (t.stage == Stage::kData) return judge(t, domain_of(t.header_from), "Header From");
    return pass();
  }

 private:
  Verdict judge(const Transaction& t, const std::string& domain, std::string_view what) const {
    if (domain.empty()) return pass();
    auto found = t.snapshot->new_domain(domain);
    const int64_t max_age = t.snapshot->new_domain_max_age_s;
    if (!found || t.now - found->registered_at >= max_age) return pass();
    std::string when = utc_time(found->registered_at);
    std::string via = found->domain == domain ? "" : fmt::format(" (its domain {})", found->domain);
    return refuse(name(), Action::kReject,
                  {550, "5.7.1",
                   fmt::format("{} domain {}{} was registered {} (less than {} ago)", what, domain,
                               via, when, age_limit(max_age))},
                  "new_domain",
                  fmt::format("{} domain {}{} registered {}, {} s before this message", what,
                              domain, via, when, t.now - found->registered_at));
  }
};

}  // namespace

std::unique_ptr<Check> make_new_domain() { return std::make_unique<NewDomain>(); }

}  // namespace pw::policy::checks
