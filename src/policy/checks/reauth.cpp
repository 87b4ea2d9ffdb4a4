// F-REAUTH: an IP user (a smarthost) sends only for its own domain and that domain's aliases,
// unless "re-authenticate permitted" is on; then it may send for other domains' senders too.
#include <fmt/format.h>

#include "policy/check.hpp"
#include "policy/checks/common.hpp"

namespace pw::policy::checks {
namespace {

class Reauth final : public Check {
 public:
  std::string_view name() const override { return "reauth"; }
  Verdict evaluate(const Transaction& t, CheckContext&) const override {
    if (t.stage != Stage::kMail || t.sender.kind != mail::SenderKind::kIp) return pass();
    if (t.mail_from.empty() || t.settings->reauth_permitted) return pass();
    std::string domain = domain_of(t.mail_from);
    if (own_domain(t, domain)) return pass();
    return refuse(name(), Action::kReject,
                  {550, "5.7.1",
                   fmt::format("{} may only send for {}; {} is another domain "
                               "(re-authenticate is not permitted for this sender)",
                               t.sender.name, t.sender.domain, domain)},
                  "foreign_sender_domain",
                  fmt::format("envelope sender domain {} is not {} or one of its aliases and "
                              "reauth_permitted is off",
                              domain, t.sender.domain));
  }
};

}  // namespace

std::unique_ptr<Check> make_reauth() { return std::make_unique<Reauth>(); }

}  // namespace pw::policy::checks
