// Small helpers shared by the checks: address domains, domain ownership, time text.
#pragma once
#include <string>
#include <string_view>

#include "mail/address.hpp"
#include "policy/transaction.hpp"

namespace pw::policy::checks {

using mail::domain_of;
// The user's own domains: its domain and that domain's aliases (and their subdomains).
bool own_domain(const Transaction& t, std::string_view domain);
// "2026-11-25 19:46:16 UTC"
std::string utc_time(int64_t unix_time);
// Who to ask for help: the domain's administrator contact, or "your administrator".
std::string contact(const Transaction& t);

}  // namespace pw::policy::checks
