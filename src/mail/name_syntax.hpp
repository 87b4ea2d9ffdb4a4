// The syntax of the names admins type for domains and senders: domain names, e-mail addresses and
// DKIM selectors, each returned in canonical (lower-case) form or refused with the reason.
// Trust: text comes from admins (CLI, API) and may hold any byte.
#pragma once
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace pw::mail {

// A fully qualified name: LDH labels of 1-63 octets, at least one dot, at most 253 octets, a
// top-level label that is not all digits. IDNA names in A-label form (xn--) pass; U-labels are
// refused with a hint. One trailing dot is dropped.
Result<std::string> canonical_domain_name(std::string_view text);
// local@domain: a dot-atom local part (RFC 5322 3.2.3) of at most 64 octets, a domain as above,
// at most 254 octets in all (RFC 5321 4.5.3.1). Lower-cased.
Result<std::string> canonical_email_address(std::string_view text);
// A DKIM selector (RFC 6376 3.1): one or more LDH labels. "" stays "" (no selector).
Result<std::string> canonical_dkim_selector(std::string_view text);

}  // namespace pw::mail
