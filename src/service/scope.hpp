// What a domain admin may see (F-PANEL, F-LOG): its own domain and that domain's aliases, and a
// message when the message's user belongs to that domain or the message was sent from it. Every
// area's service asks here, so the rule is written once.
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

// The main domain of `name` when it is an alias (F-ALIAS), else `name`; lower-case.
Outcome<std::string> main_domain(store::Database& db, std::string_view name);

// The domain a list is limited to. An admin gets the requested domain (alias resolved) or
// nullopt (every domain); a domain admin gets its own domain, and 403 when it asked for another.
Outcome<std::optional<std::string>> list_scope(const Actor& actor, store::Database& db,
                                               const std::optional<std::string>& requested);

// May `actor` see a message of the user's domain `user_domain` sent as `mail_from`? 403 when not.
Outcome<void> require_message_access(const Actor& actor, store::Database& db,
                                     std::string_view user_domain, std::string_view mail_from);

// May `actor` see or change domain `name` (alias resolved)? 403 when not: a domain admin asking
// about any other name, known to this node or not, learns nothing of other domains.
Outcome<void> require_domain_access(const Actor& actor, store::Database& db, std::string_view name);

// One answer for "not yours" and "not there" (issue 15, item 3): a 403 from one of the checks
// above becomes the 404 `missing_message` that a missing id gets, word for word, so that another
// domain's admin cannot tell which ids exist. Other failures pass unchanged.
Failure as_missing(Failure failure, std::string missing_message);

// 403 unless `actor` is an admin.
Outcome<void> require_admin(const Actor& actor);

}  // namespace pw::service
