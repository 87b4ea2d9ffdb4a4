#include "service/domain_service.hpp"

#include <charconv>

#include "batv/batv_keys.hpp"
#include "mail/name_syntax.hpp"
#include "net/mx_route.hpp"
#include "service/scope.hpp"
#include "store/batv_key_repository.hpp"
#include "store/domain_routing.hpp"
#include "store/statement.hpp"
#include "util/ascii_text.hpp"

namespace pw::service {
namespace {

constexpr std::string_view kAdminContactKey = "admin_contact";
constexpr std::string_view kDkimSelectorKey = "dkim_selector";
constexpr std::string_view kRouteKey = "route";
constexpr std::string_view kSpamThresholdKey = "spam_threshold";
constexpr std::string_view kBatvKey = "batv";  // F-BATV: on|off

// "" clears the domain's own threshold; otherwise a whole number of points within bounds.
Outcome<std::optional<int64_t>> parse_spam_threshold(const std::string& text) {
  if (text.empty()) return std::optional<int64_t>();
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < kMinSpamThreshold ||
      value > kMaxSpamThreshold)
    return invalid("spam_threshold must be a whole number from " +
                   std::to_string(kMinSpamThreshold) + " to " + std::to_string(kMaxSpamThreshold) +
                   " (or empty for the default)");
  return std::optional<int64_t>(value);
}

// F-BATV: "on" or "off" (also 1/0, true/false, yes/no).
Outcome<bool> parse_batv_switch(const std::string& text) {
  if (text == "on" || text == "1" || text == "true" || text == "yes") return true;
  if (text == "off" || text == "0" || text == "false" || text == "no") return false;
  return invalid("batv must be on or off");
}

Outcome<DomainView> view_of(store::Database& db, store::Domain domain) {
  DomainView view;
  store::DomainRouting routing(db);
  auto aliases = routing.aliases(domain.name);
  auto route = routing.route(domain.name);
  if (!aliases || !route)
    return refuse(Failure::Kind::kInternal, "cannot read the aliases and route of " + domain.name);
  auto threshold = store::DomainRepository(db).spam_threshold(domain.name);
  if (threshold) view.spam_threshold = *threshold;
  view.batv = store::BatvKeyRepository(db).domain_batv(domain.name).value_or(false);
  view.aliases = std::move(*aliases);
  view.route = std::move(*route);
  view.domain = std::move(domain);
  return view;
}

// The domain as stored, for a name that may be an alias; kNotFound as the repository says it.
Outcome<store::Domain> stored_domain(store::Database& db, const std::string& name) {
  auto main = main_domain_of(db, name);
  if (!main) return from_error(main.error(), Failure::Kind::kInternal);
  auto domain = store::DomainRepository(db).get(*main ? **main : name);
  if (!domain) {
    auto known = store::DomainRepository(db).find(name);
    return from_error(domain.error(), known ? Failure::Kind::kNotFound : Failure::Kind::kInvalid);
  }
  return std::move(*domain);
}

}  // namespace

Outcome<DomainChange> domain_change_from_pairs(
    const std::vector<std::pair<std::string, std::string>>& pairs) {
  DomainChange change;
  for (const auto& [key, value] : pairs) {
    if (key == kAdminContactKey) {
      change.admin_contact = value;
    } else if (key == kDkimSelectorKey) {
      change.dkim_selector = value;
    } else if (key == kRouteKey) {
      change.route = value;
    } else if (key == kSpamThresholdKey) {
      change.spam_threshold = value;
    } else if (key == kBatvKey) {
      change.batv = value;
    } else {
      return invalid("unknown key " + util::quote_for_message(key) +
                     "; valid keys: " + std::string(kAdminContactKey) + ", " +
                     std::string(kDkimSelectorKey) + ", " + std::string(kRouteKey) + ", " +
                     std::string(kSpamThresholdKey) + ", " + std::string(kBatvKey));
    }
    // Values are checked in the order given, as they come.
    if (key == kBatvKey) {
      if (auto b = parse_batv_switch(value); !b) return tl::unexpected(b.error());
    }
    if (key == kSpamThresholdKey) {
      if (auto t = parse_spam_threshold(value); !t) return tl::unexpected(t.error());
    }
    if (key == kRouteKey && !value.empty()) {
      if (auto route = net::parse_fixed_route(value); !route)
        return invalid("route: " + route.error().message);
    }
  }
  return change;
}

Outcome<std::vector<DomainView>> list_domains(store::Database& db, const Actor& actor) {
  auto domains = store::DomainRepository(db).list();
  if (!domains) return from_error(domains.error(), Failure::Kind::kInternal);
  std::vector<DomainView> out;
  for (auto& domain : *domains) {
    if (!actor.may_access_domain(domain.name)) continue;
    auto view = view_of(db, std::move(domain));
    if (!view) return tl::unexpected(view.error());
    out.push_back(std::move(*view));
  }
  return out;
}

Outcome<DomainView> get_domain(store::Database& db, const Actor& actor, const std::string& name) {
  if (auto ok = require_domain_access(actor, db, name); !ok) return tl::unexpected(ok.error());
  auto domain = stored_domain(db, name);
  if (!domain) return tl::unexpected(domain.error());
  return view_of(db, std::move(*domain));
}

Outcome<store::Domain> add_domain(store::Database& db, const Actor& actor, const std::string& name,
                                  const std::string& admin_contact,
                                  const std::string& dkim_selector) {
  if (auto ok = require_admin(actor); !ok) return tl::unexpected(ok.error());
  store::DomainRepository domains(db);
  if (auto existing = domains.find(name); existing && *existing)
    return refuse(Failure::Kind::kConflict, "domain " + (*existing)->name + " already exists");
  auto domain = domains.add(name, admin_contact, dkim_selector);
  if (!domain) return from_error(domain.error());
  return std::move(*domain);
}

namespace {

// The checked change written to the store, inside the caller's transaction.
Result<void> write_domain_change(store::Database& db, const std::string& name,
                                 const DomainChange& change,
                                 const std::optional<std::optional<int64_t>>& threshold,
                                 std::optional<bool> batv, int64_t batv_lifetime_days) {
  store::DomainRepository domains(db);
  store::DomainRouting routing(db);
  if (change.admin_contact)
    if (auto r = domains.set_admin_contact(name, *change.admin_contact); !r) return r;
  if (change.dkim_selector)
    if (auto r = domains.set_dkim_selector(name, *change.dkim_selector); !r) return r;
  if (change.route)
    if (auto r = routing.set_route(name, *change.route); !r) return r;
  if (threshold)
    if (auto r = domains.set_spam_threshold(name, *threshold); !r) return r;
  if (batv)  // F-BATV: the first key is made when it is first turned on
    if (auto r =
            batv::BatvKeys(db).set_domain_batv(name, *batv, store::unix_now(), batv_lifetime_days);
        !r)
      return tl::unexpected(r.error());
  for (const auto& alias : change.add_aliases)
    if (auto r = routing.add_alias(name, alias); !r) return r;
  for (const auto& alias : change.remove_aliases)
    if (auto r = routing.remove_alias(name, alias); !r) return r;
  return {};
}

}  // namespace

Outcome<store::Domain> change_domain(store::Database& db, const Actor& actor,
                                     const std::string& name, const DomainChange& change,
                                     int64_t batv_lifetime_days) {
  if (change.empty())
    return invalid("nothing to change: give key=value pairs, --alias or --remove-alias");
  if (auto ok = require_domain_access(actor, db, name); !ok) return tl::unexpected(ok.error());
  if (change.route || change.batv || !change.add_aliases.empty() ||
      !change.remove_aliases.empty()) {
    if (auto ok = require_admin(actor); !ok)
      return forbidden(
          "only the node's administrator may change a domain's route, BATV or "
          "aliases");
  }
  std::optional<std::optional<int64_t>> threshold;
  if (change.spam_threshold) {
    auto t = parse_spam_threshold(*change.spam_threshold);
    if (!t) return tl::unexpected(t.error());
    threshold = *t;
  }
  std::optional<bool> batv;
  if (change.batv) {
    auto b = parse_batv_switch(*change.batv);
    if (!b) return tl::unexpected(b.error());
    batv = *b;
  }
  if (change.route && !change.route->empty()) {
    if (auto route = net::parse_fixed_route(*change.route); !route)
      return invalid("route: " + route.error().message);
  }
  store::DomainRepository domains(db);
  Failure::Kind kind = Failure::Kind::kInvalid;
  auto updated = db.transaction([&]() -> Result<store::Domain> {
    auto domain = domains.get(name);
    if (!domain) {
      if (auto known = domains.find(name); known) kind = Failure::Kind::kNotFound;
      return domain;
    }
    if (auto r = write_domain_change(db, domain->name, change, threshold, batv, batv_lifetime_days);
        !r)
      return tl::unexpected(r.error());
    return domain;
  });
  if (!updated) return from_error(updated.error(), kind);
  return std::move(*updated);
}

Outcome<RemovedDomain> remove_domain(store::Database& db, const Actor& actor,
                                     const std::string& name, bool force) {
  if (auto ok = require_admin(actor); !ok) return tl::unexpected(ok.error());
  store::DomainRepository domains(db);
  auto domain = domains.get(name);
  if (!domain) {
    auto known = domains.find(name);
    return from_error(domain.error(), known ? Failure::Kind::kNotFound : Failure::Kind::kInvalid);
  }
  auto removed = domains.remove(domain->name, force);
  if (!removed) return from_error(removed.error(), Failure::Kind::kConflict);
  return RemovedDomain{domain->name, *removed};
}

}  // namespace pw::service
