// Parts of an address: its domain, and domain containment.
#include "mail/address.hpp"

#include "util/ascii_text.hpp"

namespace pw::mail {

std::string domain_of(std::string_view address) {
  auto at = address.rfind('@');
  if (at == std::string_view::npos) return "";
  return util::ascii_lowercase(address.substr(at + 1));
}

bool within_domain(std::string_view domain, std::string_view parent) {
  if (domain == parent) return true;
  return domain.size() > parent.size() + 1 && domain.ends_with(parent) &&
         domain[domain.size() - parent.size() - 1] == '.';
}

}  // namespace pw::mail
