// Who is asking (F-PANEL roles): the node's administrator (everything) or a domain's
// administrator (that domain and its aliases only). Every service call takes an Actor, so the
// rule "a domain admin never reads or changes another domain" is decided in one place.
#pragma once
#include <string>
#include <string_view>

namespace pw::service {

enum class Role { kAdmin, kDomain };

struct Actor {
  Role role = Role::kAdmin;
  std::string name;    // the panel account, the token's owner, or "cli"
  std::string domain;  // kDomain only: the one domain this actor may see

  static Actor cli() { return Actor{Role::kAdmin, "cli", ""}; }
  bool is_admin() const { return role == Role::kAdmin; }
  // True for an admin, and for a domain admin asking about its own domain (exact, lower-case
  // name; the caller resolves aliases to their main domain first).
  bool may_access_domain(std::string_view domain_name) const {
    return role == Role::kAdmin || (!domain.empty() && domain_name == domain);
  }
};

}  // namespace pw::service
