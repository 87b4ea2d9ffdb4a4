// The domain rule of the service layer (F-PANEL): which main domain a name belongs to (a domain
// of this node or one of its aliases), and whether an actor may touch it. Every service of the
// domain, user and identity areas asks here, so a domain admin is held to its own domain in one
// place.
// Trust: names come from the CLI or the API; they are canonicalised before they are compared.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "service/actor.hpp"
#include "service/outcome.hpp"
#include "store/database.hpp"

namespace pw::service {

// The lower-case main domain `name` is or is an alias of; nullopt when it is neither (or not a
// domain name at all).
Result<std::optional<std::string>> main_domain_of(store::Database& db, std::string_view name);

// OK when the actor may see and change the main domain of `name`. A domain admin asking about
// any other name, known or not, is refused (kForbidden): it learns nothing of other domains.
Outcome<void> check_domain_access(store::Database& db, const Actor& actor, std::string_view name);

// Admin-only operations: kForbidden for a domain admin.
Outcome<void> require_admin(const Actor& actor);

}  // namespace pw::service
