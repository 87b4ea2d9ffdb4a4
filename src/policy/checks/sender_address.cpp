// F-FROM: "require FROM domain" and "valid sender address required", on the envelope sender at
// MAIL and on the header From at the end of DATA (a user spoofing another domain in the header
// is the abuse that envelope checks miss).
#include <fmt/format.h>

#include "policy/check.hpp"
#include "policy/checks/common.hpp"

namespace pw::policy::checks {
namespace {

class SenderAddress final : public Check {
 public:
  std::string_view name() const override { return "sender_address"; }
  Verdict evaluate(const Transaction& t, CheckContext&) const override {
    const auto& s = *t.settings;
    if (s.require_from_domain.empty() && !s.valid_sender_required) return pass();
    if (t.stage == Stage::kMail) return envelope(t, s);
    if (t.stage == Stage::kData) return header(t, s);
    return pass();
  }

 private:
  Verdict envelope(const Transaction& t, const UserSettings& s) const {
    if (t.mail_from.empty()) {
      if (!s.valid_sender_required) return pass();  // bounces have no domain to require
      return refuse(
          name(), Action::kReject,
          {550, "5.7.1", "A valid sender address is required; the null sender is refused"},
          "null_sender", "valid_sender_required is on and MAIL FROM is <>");
    }
    std::string domain = domain_of(t.mail_from);
    if (!s.require_from_domain.empty() && !mail::within_domain(domain, s.require_from_domain))
      return refuse(
          name(), Action::kReject,
          {550, "5.7.1",
           fmt::format("Sender address {} is not of domain {}", t.mail_from,
                       s.require_from_domain)},
          "require_from_domain",
          fmt::format("envelope sender domain {} is not {}", domain, s.require_from_domain));
    if (s.valid_sender_required) return resolves(t.mail_from_resolves, "Sender", domain);
    return pass();
  }

  Verdict header(const Transaction& t, const UserSettings& s) const {
    if (t.header_from.empty())
      return refuse(name(), Action::kReject,
                    {550, "5.7.1", "The message needs a From header with one valid address"},
                    "header_from_missing", "no readable address in the From header");
    std::string domain = domain_of(t.header_from);
    if (!s.require_from_domain.empty() && !mail::within_domain(domain, s.require_from_domain))
      return refuse(
          name(), Action::kReject,
          {550, "5.7.1",
           fmt::format("Header From {} is not of domain {}", t.header_from, s.require_from_domain)},
          "require_from_domain",
          fmt::format("header From domain {} is not {}", domain, s.require_from_domain));
    if (s.valid_sender_required) return resolves(t.header_from_resolves, "Header From", domain);
    return pass();
  }

  Verdict resolves(const std::optional<bool>& answer, std::string_view what,
                   const std::string& domain) const {
    if (!answer)
      return refuse(
          name(), Action::kTempfail,
          {451, "4.4.3", fmt::format("Cannot verify the domain {} now; try again later", domain)},
          "sender_domain_unverified", "DNS gave no answer for " + domain);
    if (!*answer)
      return refuse(name(), Action::kReject,
                    {550, "5.1.8",
                     fmt::format("{} domain {} does not exist (no MX or address "
                                 "record)",
                                 what, domain)},
                    "sender_domain_unresolvable", domain + " has no MX, A or AAAA record");
    return pass();
  }
};

}  // namespace

std::unique_ptr<Check> make_sender_address() { return std::make_unique<SenderAddress>(); }

}  // namespace pw::policy::checks
