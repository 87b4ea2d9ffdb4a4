#include "service/identity_service.hpp"

#include "policy/counter_store.hpp"
#include "service/scope.hpp"
#include "service/user_service.hpp"
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
  std::string sql =
      "SELECT d.name, u.name, i.identity, i.manual, i.created_at, i.last_seen_at, i.messages "
      "FROM identities i JOIN users u ON u.id = i.user_id JOIN domains d ON d.id = u.domain_id "
      "WHERE (?1 = '' OR d.name = ?1 COLLATE NOCASE) AND (?2 = '' OR u.name = ?2 COLLATE "
      "NOCASE) ORDER BY d.name, u.name, i.identity";
  auto stmt = store::query(db, sql, {domain, filter.user});
  if (!stmt) return from_error(stmt.error(), Failure::Kind::kInternal);
  std::vector<IdentityView> out;
  const int64_t now = store::unix_now();
  for (;;) {
    auto row = store::next_row(db, stmt->get());
    if (!row) return from_error(row.error(), Failure::Kind::kInternal);
    if (!*row) break;
    IdentityView view;
    view.domain = store::column_text(stmt->get(), 0);
    if (!actor.may_access_domain(view.domain)) continue;
    view.user = store::column_text(stmt->get(), 1);
    view.identity = store::column_text(stmt->get(), 2);
    view.manual = store::column_int(stmt->get(), 3) != 0;
    view.created_at = store::column_int(stmt->get(), 4);
    view.last_seen_at = store::column_int(stmt->get(), 5);
    view.messages = store::column_int(stmt->get(), 6);
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
  auto r = store::run(db,
                      "INSERT INTO identities(user_id, identity, manual, created_at) VALUES (?1, "
                      "?2, 1, ?3) ON CONFLICT(user_id, identity) DO UPDATE SET manual = 1",
                      {user->id, identity, store::unix_now()});
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
  (void)store::run(db,
                   "INSERT OR IGNORE INTO identities(user_id, identity, manual, created_at) "
                   "VALUES (?1, ?2, 1, ?3)",
                   {user->id, identity, store::unix_now()});
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
