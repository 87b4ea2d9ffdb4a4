// See scope.hpp.
#include "service/scope.hpp"

#include "auth/name_syntax.hpp"
#include "store/message_log.hpp"
#include "store/statement.hpp"

namespace pw::service {

Outcome<std::string> main_domain(store::Database& db, std::string_view name) {
  auto resolved = store::MessageLog(db).main_domain(name);
  if (!resolved) return from_error(resolved.error(), Failure::Kind::kInternal);
  return *resolved;
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
  if (auth::ascii_lowercase(user_domain) == actor.domain) return {};
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
  auto main = main_domain(db, name);
  if (!main) return tl::unexpected(main.error());
  if (!actor.may_access_domain(*main)) return forbidden();
  return {};
}

Outcome<void> require_admin(const Actor& actor) {
  if (!actor.is_admin()) return forbidden("only an administrator may do this");
  return {};
}

}  // namespace pw::service
