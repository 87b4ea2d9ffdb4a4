// See scope.hpp.
#include "service/scope.hpp"

#include "mail/name_syntax.hpp"
#include "store/domain_repository.hpp"
#include "store/message_log.hpp"
#include "store/statement.hpp"
#include "util/ascii_text.hpp"

namespace pw::service {

Result<std::optional<std::string>> main_domain_of(store::Database& db, std::string_view name) {
  auto canonical = mail::canonical_domain_name(name);
  if (!canonical) return std::optional<std::string>();
  return store::DomainRepository(db).owner_of(*canonical);
}

Outcome<std::string> main_domain(store::Database& db, std::string_view name) {
  auto resolved = main_domain_of(db, name);
  if (!resolved) return from_error(resolved.error(), Failure::Kind::kInternal);
  return *resolved ? **resolved : util::ascii_lowercase(name);
}

Outcome<std::optional<std::string>> list_scope(const Actor& actor, store::Database& db,
                                               const std::optional<std::string>& requested) {
  if (!requested) {
    if (actor.is_admin()) return std::optional<std::string>();
    if (actor.domain.empty()) return forbidden();
    return std::optional<std::string>(actor.domain);
  }
  auto main = main_domain(db, *requested);
  if (!main) return tl::unexpected(main.error());
  if (!actor.may_access_domain(*main)) return forbidden();
  return std::optional<std::string>(*main);
}

Outcome<void> require_message_access(const Actor& actor, store::Database& db,
                                     std::string_view user_domain, std::string_view mail_from) {
  if (actor.is_admin()) return {};
  if (actor.domain.empty()) return forbidden();
  if (util::ascii_lowercase(user_domain) == actor.domain) return {};
  const std::string sending = store::address_domain(mail_from);
  if (sending.empty()) return forbidden();
  auto main = main_domain(db, sending);
  if (!main) return tl::unexpected(main.error());
  if (*main == actor.domain) return {};
  return forbidden();
}

Outcome<void> require_domain_access(const Actor& actor, store::Database& db,
                                    std::string_view name) {
  if (actor.is_admin()) return {};
  auto main = main_domain_of(db, name);
  if (!main) return from_error(main.error(), Failure::Kind::kInternal);
  if (!*main || !actor.may_access_domain(**main)) return forbidden();
  return {};
}

Failure as_missing(Failure failure, std::string missing_message) {
  if (failure.kind != Failure::Kind::kForbidden) return failure;
  return Failure{Failure::Kind::kNotFound, std::move(missing_message)};
}

Outcome<void> require_admin(const Actor& actor) {
  if (!actor.is_admin()) return forbidden("only an administrator may do this");
  return {};
}

}  // namespace pw::service
