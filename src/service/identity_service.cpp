#include "service/identity_service.hpp"

#include "policy/counter_store.hpp"
#include "service/scope.hpp"
#include "service/user_service.hpp"
#include "store/identity_repository.hpp"
#include "store/statement.hpp"

namespace pw::service {

Outcome<void> check_identity(const std::string& identity) {
  if (identity.empty() || identity.size() > kMaxIdentity)
    return invalid("an identity is 1 to " + std::to_string(kMaxIdentity) + " characters");
  for (char c : identity)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return invalid("an identity may not contain control characters");
  return {};
}

Outcome<std::vector<IdentityView>> list_identities(store::Database& db, const Actor& actor,
                                                   const IdentityFilter& filter) {
  std::string domain = filter.domain;
  if (!actor.is_admin()) {
    if (!domain.empty()) {
      if (auto ok = require_domain_access(actor, db, domain); !ok)
        return tl::unexpected(ok.error());
    }
    // A user of another domain is answered as a missing one: 404 (issue 15, item 3).
    if (!filter.user.empty()) {
      if (auto user = get_user(db, actor, filter.user); !user) return tl::unexpected(user.error());
    }
    domain = actor.domain;
  }
  auto rows = store::IdentityRepository(db).list(domain, filter.user);
  if (!rows) return from_error(rows.error(), Failure::Kind::kInternal);
  std::vector<IdentityView> out;
  const int64_t now = store::unix_now();
  for (auto& row : *rows) {
    IdentityView view;
    view.domain = std::move(row.domain);
    if (!actor.may_access_domain(view.domain)) continue;
    view.user = std::move(row.user);
    view.identity = std::move(row.identity);
    view.manual = row.manual;
    view.created_at = row.created_at;
    view.last_seen_at = row.last_seen_at;
    view.messages = row.messages;
    std::string subject = policy::identity_subject(view.user, view.identity);
    auto lock = policy::read_lock(db, subject);
    if (!lock) return from_error(lock.error(), Failure::Kind::kInternal);
    auto day = policy::CounterStore::read_sums(db, subject, 86400, now);
    if (!day) return from_error(day.error(), Failure::Kind::kInternal);
    view.lock = *lock;
    view.locked = lock_in_force(*lock, now);
    if (filter.locked_only && !view.locked) continue;
    view.counters_24h = std::move(*day);
    out.push_back(std::move(view));
  }
  return out;
}

Outcome<store::User> add_identity(store::Database& db, const Actor& actor,
                                  const std::string& user_name, const std::string& identity) {
  if (auto ok = check_identity(identity); !ok) return tl::unexpected(ok.error());
  auto user = get_user(db, actor, user_name);
  if (!user) return tl::unexpected(user.error());
  auto r = store::IdentityRepository(db).add_manual(user->id, identity, store::unix_now());
  if (!r) return from_error(r.error());
  return user;
}

Outcome<store::User> lock_identity(store::Database& db, const Actor& actor,
                                   const std::string& user_name, const std::string& identity,
                                   const std::string& reason) {
  if (auto ok = check_identity(identity); !ok) return tl::unexpected(ok.error());
  auto user = get_user(db, actor, user_name);
  if (!user) return tl::unexpected(user.error());
  auto state = policy::admin_lock(db, policy::identity_subject(user->name, identity), reason,
                                  store::unix_now());
  if (!state) return from_error(state.error());
  (void)store::IdentityRepository(db).add_manual_if_missing(user->id, identity, store::unix_now());
  return user;
}

Outcome<store::User> unlock_identity(store::Database& db, const Actor& actor,
                                     const std::string& user_name, const std::string& identity,
                                     bool reset_unlocks) {
  if (auto ok = check_identity(identity); !ok) return tl::unexpected(ok.error());
  auto user = get_user(db, actor, user_name);
  if (!user) return tl::unexpected(user.error());
  auto state =
      policy::admin_unlock(db, policy::identity_subject(user->name, identity), reset_unlocks);
  if (!state) return from_error(state.error());
  return user;
}

}  // namespace pw::service
