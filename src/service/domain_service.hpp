// The domains of a node (F-DOM, F-ALIAS, F-DELIVER, F-SPAM, F-BATV) for the CLI and the REST API:
// list, read, add, change and remove, with every check in one place. A domain admin reads and
// changes only its own domain's contact, DKIM selector and spam threshold; adding and removing
// domains, aliases, the route and BATV are the node administrator's.
// Trust: names and values come from the CLI or the API; each is validated here or by the store.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "service/actor.hpp"
#include "service/outcome.hpp"
#include "store/database.hpp"
#include "store/domain_repository.hpp"

namespace pw::service {

// Bounds of a domain's spam threshold: those of [spam] threshold.
inline constexpr int64_t kMinSpamThreshold = 1;
inline constexpr int64_t kMaxSpamThreshold = 100000;

struct DomainView {
  store::Domain domain;
  std::vector<std::string> aliases;
  std::string route;                      // "" = MX look-up
  std::optional<int64_t> spam_threshold;  // nullopt = the configured default
  bool batv = false;
};

// The changes of `domain set` / PATCH: absent fields stay. Values are text as the CLI takes them
// ("" clears admin_contact, dkim_selector, route and spam_threshold).
struct DomainChange {
  std::optional<std::string> admin_contact;
  std::optional<std::string> dkim_selector;
  std::optional<std::string> route;           // admin only
  std::optional<std::string> spam_threshold;  // whole points, "" = default
  std::optional<std::string> batv;            // on|off; admin only
  std::vector<std::string> add_aliases;       // admin only
  std::vector<std::string> remove_aliases;    // admin only
  bool empty() const {
    return !admin_contact && !dkim_selector && !route && !spam_threshold && !batv &&
           add_aliases.empty() && remove_aliases.empty();
  }
  bool sets_batv() const { return batv.has_value(); }
};

// key=value pairs of `domain set` into a change; an unknown key is refused, naming the valid ones.
Outcome<DomainChange> domain_change_from_pairs(
    const std::vector<std::pair<std::string, std::string>>& pairs);

Outcome<std::vector<DomainView>> list_domains(store::Database& db, const Actor& actor);
Outcome<DomainView> get_domain(store::Database& db, const Actor& actor, const std::string& name);
Outcome<store::Domain> add_domain(store::Database& db, const Actor& actor, const std::string& name,
                                  const std::string& admin_contact,
                                  const std::string& dkim_selector);
// `batv_lifetime_days`: [batv] tag_lifetime_days, for the first key made when BATV is turned on.
Outcome<store::Domain> change_domain(store::Database& db, const Actor& actor,
                                     const std::string& name, const DomainChange& change,
                                     int64_t batv_lifetime_days);
struct RemovedDomain {
  std::string name;
  int64_t users_removed = 0;
};
// Refused while the domain has users unless `force`.
Outcome<RemovedDomain> remove_domain(store::Database& db, const Actor& actor,
                                     const std::string& name, bool force);

}  // namespace pw::service
