// Parts of an envelope or header address ("local@domain") that every layer needs: its domain, and
// whether a domain lies within another. The text is not checked; see name_syntax for that.
#pragma once
#include <string>
#include <string_view>

namespace pw::mail {

// The lower-case domain of "local@domain" ("" when there is none).
std::string domain_of(std::string_view address);
// True when `domain` is `parent` or one of its subdomains (both already lower-case).
bool within_domain(std::string_view domain, std::string_view parent);

}  // namespace pw::mail
