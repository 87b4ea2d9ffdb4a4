// Helpers shared by the policy checks.
#include "policy/checks/common.hpp"

#include <fmt/format.h>

#include <ctime>

#include "mail/address.hpp"
#include "util/ascii_text.hpp"
#include "util/utc_time.hpp"

namespace pw::policy::checks {

bool own_domain(const Transaction& t, std::string_view domain) {
  if (mail::within_domain(domain, util::ascii_lowercase(t.sender.domain))) return true;
  if (t.domain)
    for (const auto& alias : t.domain->aliases)
      if (mail::within_domain(domain, alias)) return true;
  return false;
}

std::string utc_time(int64_t unix_time) {
  return util::format_utc(unix_time, util::TimeStyle::kReadable);
}

std::string contact(const Transaction& t) {
  if (t.domain && !t.domain->admin_contact.empty()) return t.domain->admin_contact;
  return "your administrator";
}

}  // namespace pw::policy::checks
