#include "service/user_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "mail/name_syntax.hpp"
#include "policy/counter_store.hpp"
#include "policy/user_settings.hpp"
#include "service/scope.hpp"
#include "service/user_settings_change.hpp"
#include "store/domain_repository.hpp"
#include "store/statement.hpp"
#include "util/ascii_text.hpp"
#include "util/ip_address.hpp"

namespace pw::service {
namespace {

// F-INVALID-RCPT counts invalid recipients over a rolling day (policy/checks/recipient_limits).
constexpr int64_t kInvalidRecipientWindow = 86400;

// A password from the source (checked for strength) or a generated one; and its hash.
struct MadePassword {
  std::string hash;
  std::string generated;
};
Outcome<MadePassword> make_password(const PasswordSource& source, const PasswordRules& rules,
                                    std::string_view username) {
  MadePassword made;
  std::string password;
  if (source) {
    auto given = source();
    if (!given) return tl::unexpected(given.error());
    password = std::move(*given);
    if (auto strong = auth::check_password_strength(password, username, rules.min_length); !strong)
      return from_error(strong.error());
  } else {
    auto generated = auth::generate_password(std::max(kGeneratedPasswordLength, rules.min_length));
    if (!generated) return from_error(generated.error(), Failure::Kind::kInternal);
    password = *generated;
    made.generated = *generated;
  }
  auto hash = auth::hash_password(password, rules.cost);
  if (!hash) return from_error(hash.error(), Failure::Kind::kInternal);
  made.hash = std::move(*hash);
  return made;
}

// The checks of an IP user's request that need no database: owner, no password, the range.
Outcome<IpRangeVerdict> check_new_ip_user(const Actor& actor, const NewUser& request,
                                          const IpRangeRules& ranges) {
  if (request.owner.empty())
    return invalid("an IP user needs an owner: the domain the address or range belongs to");
  if (request.password)
    return invalid("an IP user has no password: it is identified by its address");
  auto range = util::Cidr::parse(request.name);
  if (!range) return from_error(range.error());
  return check_ip_range(*range, actor, ranges, request.force);
}

// 409 when a stored range stands in the way: an administrator hears which one; a domain admin
// only that the range is taken (the other domain's ranges are not its business).
Outcome<void> require_free_range(store::Database& db, const Actor& actor, const std::string& name,
                                 const std::string& domain) {
  auto range = util::Cidr::parse(name);
  if (!range) return from_error(range.error());
  auto owner = main_domain(db, domain);
  if (!owner) return tl::unexpected(owner.error());
  auto conflict = store::UserRepository(db).ip_conflict(*range, *owner);
  if (!conflict) return from_error(conflict.error(), Failure::Kind::kInternal);
  if (!*conflict) return {};
  const auto& found = **conflict;
  if (!actor.is_admin() && !actor.may_access_domain(found.domain))
    return refuse(Failure::Kind::kConflict, range->str() + " is taken");
  if (found.duplicate)
    return refuse(Failure::Kind::kConflict,
                  range->str() + " already exists (in domain " + found.domain + ")");
  return refuse(Failure::Kind::kConflict,
                range->str() + " overlaps " + found.range + " of domain " + found.domain +
                    "; an IP address or range belongs to exactly one domain");
}

}  // namespace

PasswordRules PasswordRules::from(const config::Config& config) {
  return PasswordRules{static_cast<size_t>(config.auth.password_min_length),
                       {static_cast<uint64_t>(config.auth.password_hash_ops),
                        static_cast<uint64_t>(config.auth.password_hash_mem_kib)}};
}

std::vector<mail::SenderKind> setting_kinds(std::string_view key) {
  // The store refuses reauth_permitted on other kinds (F-REAUTH: smarthosts only).
  if (key == "reauth_permitted") return {mail::SenderKind::kIp};
  return {mail::SenderKind::kIp, mail::SenderKind::kUser, mail::SenderKind::kDomain};
}

bool lock_in_force(const std::optional<policy::LockState>& lock, int64_t now) {
  return lock && lock->locked && (lock->unlock_at == 0 || lock->unlock_at > now);
}

Outcome<store::User> get_user(store::Database& db, const Actor& actor, const std::string& name) {
  store::UserRepository users(db);
  auto found = users.find(name);
  if (!found) return from_error(found.error());
  // A user of another domain is answered as a missing one, word for word (issue 15, item 3).
  if (!*found || !actor.may_access_domain((*found)->domain)) {
    auto canonical = store::canonical_user_name(name);
    return not_found("unknown user " + (canonical ? *canonical : name));
  }
  return std::move(**found);
}

namespace {

// Refuses an unknown domain or a duplicate before asking for, or making, a password.
Outcome<MadePassword> password_for_new_user(store::Database& db, const std::string& domain,
                                            const std::string& username,
                                            const PasswordSource& requested,
                                            const PasswordRules& rules) {
  if (auto known = store::DomainRepository(db).get(domain); !known)
    return from_error(known.error());
  auto existing = store::UserRepository(db).find(username);
  if (!existing) return from_error(existing.error());
  if (*existing) return refuse(Failure::Kind::kConflict, "user " + username + " already exists");
  return make_password(requested, rules, username);
}

}  // namespace

Outcome<AddedUser> add_user(store::Database& db, const Actor& actor, const NewUser& request,
                            const PasswordRules& rules, const IpRangeRules& ranges) {
  const bool ip = request.kind == mail::SenderKind::kIp;
  std::string username;  // canonical (user and domain kinds)
  std::string domain;    // the domain the user belongs to
  IpRangeVerdict verdict;
  if (ip) {
    auto checked = check_new_ip_user(actor, request, ranges);
    if (!checked) return tl::unexpected(checked.error());
    verdict = *checked;
    domain = request.owner;
  } else {
    if (!request.owner.empty())
      return invalid("an owner goes with IP users only; a user's domain is in its name");
    auto name = request.kind == mail::SenderKind::kUser
                    ? mail::canonical_email_address(request.name)
                    : mail::canonical_domain_name(request.name);
    if (!name) return from_error(name.error());
    username = *name;
    domain = username.substr(username.rfind('@') + 1);
  }
  if (auto ok = require_domain_access(actor, db, domain); !ok) return tl::unexpected(ok.error());

  store::UserRepository users(db);
  MadePassword password;
  if (!ip) {
    auto made = password_for_new_user(db, domain, username, request.password, rules);
    if (!made) return tl::unexpected(made.error());
    password = std::move(*made);
  }
  std::optional<Failure> taken;  // require_free_range's answer, kept whole (kind and words)
  auto added = db.transaction([&]() -> Result<store::User> {
    if (ip) {
      if (auto free = require_free_range(db, actor, request.name, domain); !free) {
        taken = free.error();
        return fail(free.error().message);
      }
    }
    auto user = ip ? users.add_ip(request.name, request.owner)
                : request.kind == mail::SenderKind::kUser
                    ? users.add_user(username, password.hash)
                    : users.add_domain(username, password.hash);
    if (!user || request.settings.empty()) return user;
    auto changes = canonical_setting_changes(db, *user, request.settings);
    if (!changes) return tl::unexpected(changes.error());
    if (auto set = users.set_settings(user->name, *changes); !set)
      return tl::unexpected(set.error());
    return users.get(user->name);
  });
  if (taken) return tl::unexpected(*taken);
  if (!added) return from_error(added.error());
  if (verdict.forced)
    spdlog::warn(
        "event=ip_user_forced range={} owner={} actor={} reason=\"catch-all added with "
        "--force: any client in it relays without AUTH\"",
        added->name, added->domain, actor.name);
  return AddedUser{std::move(*added), std::move(password.generated)};
}

Outcome<std::vector<UserListItem>> list_users(store::Database& db, const Actor& actor,
                                              const UserFilter& filter) {
  std::string domain = filter.domain;
  if (!actor.is_admin()) {
    if (!domain.empty()) {
      if (auto ok = require_domain_access(actor, db, domain); !ok)
        return tl::unexpected(ok.error());
    }
    domain = actor.domain;
  }
  auto users = store::UserRepository(db).list(domain);
  if (!users) return from_error(users.error());
  auto locks = policy::read_locks(db);
  if (!locks) return from_error(locks.error(), Failure::Kind::kInternal);
  std::map<std::string, policy::LockState> by_subject;
  for (auto& lock : *locks) by_subject.emplace(lock.subject, std::move(lock));
  const int64_t now = store::unix_now();
  const std::string query = util::ascii_lowercase(filter.query);
  std::vector<UserListItem> out;
  for (auto& user : *users) {
    if (!actor.may_access_domain(user.domain)) continue;
    if (filter.kind && user.kind != *filter.kind) continue;
    if (!query.empty() && util::ascii_lowercase(user.name).find(query) == std::string::npos)
      continue;
    auto it = by_subject.find(policy::user_subject(user.name));
    bool locked = it != by_subject.end() && lock_in_force(it->second, now);
    out.push_back(UserListItem{std::move(user), locked});
  }
  return out;
}

Outcome<UserDetail> user_detail(store::Database& db, const Actor& actor, const std::string& name) {
  auto user = get_user(db, actor, name);
  if (!user) return tl::unexpected(user.error());
  UserDetail detail;
  const int64_t now = store::unix_now();
  std::string subject = policy::user_subject(user->name);
  auto lock = policy::read_lock(db, subject);
  if (!lock) return from_error(lock.error(), Failure::Kind::kInternal);
  auto hour = policy::CounterStore::read_sums(db, subject, 3600, now);
  auto day = policy::CounterStore::read_sums(db, subject, 86400, now);
  if (!hour || !day) return refuse(Failure::Kind::kInternal, "cannot read the counters");
  detail.user = std::move(*user);
  detail.lock = *lock;
  detail.locked = lock_in_force(*lock, now);
  detail.counters_1h = std::move(*hour);
  detail.counters_24h = std::move(*day);
  return detail;
}

Outcome<store::User> change_user(store::Database& db, const Actor& actor, const std::string& name,
                                 const std::vector<std::pair<std::string, std::string>>& settings,
                                 const PasswordSource& password, const PasswordRules& rules) {
  if (settings.empty() && !password)
    return invalid("nothing to change: give a new password and/or settings");
  auto user = get_user(db, actor, name);
  if (!user) return tl::unexpected(user.error());
  if (password && user->kind == mail::SenderKind::kIp)
    return invalid(user->name +
                   " is an IP user: it is identified by its address and has no "
                   "password");
  MadePassword made;
  if (password) {
    auto m = make_password(password, rules, user->name);
    if (!m) return tl::unexpected(m.error());
    made = std::move(*m);
  }
  store::UserRepository users(db);
  auto updated = db.transaction([&]() -> Result<void> {
    if (!settings.empty()) {
      auto changes = canonical_setting_changes(db, *user, settings);
      if (!changes) return tl::unexpected(changes.error());
      if (auto set = users.set_settings(user->name, *changes); !set) return set;
    }
    if (!made.hash.empty()) return users.set_password_hash(user->name, made.hash);
    return {};
  });
  if (!updated) return from_error(updated.error());
  auto fresh = users.get(user->name);
  if (!fresh) return from_error(fresh.error(), Failure::Kind::kInternal);
  return std::move(*fresh);
}

Outcome<store::User> remove_user(store::Database& db, const Actor& actor, const std::string& name) {
  auto user = get_user(db, actor, name);
  if (!user) return tl::unexpected(user.error());
  if (auto removed = store::UserRepository(db).remove(user->name); !removed)
    return from_error(removed.error());
  return user;
}

// F-LOCK: the running gateway sees the change at its next reload (the locks table bumps the
// config generation).
Outcome<store::User> lock_user(store::Database& db, const Actor& actor, const std::string& name,
                               const std::string& reason) {
  auto user = get_user(db, actor, name);
  if (!user) return tl::unexpected(user.error());
  auto state = policy::admin_lock(db, policy::user_subject(user->name), reason, store::unix_now());
  if (!state) return from_error(state.error());
  return user;
}

Outcome<store::User> unlock_user(store::Database& db, const Actor& actor, const std::string& name,
                                 bool reset_unlocks) {
  auto user = get_user(db, actor, name);
  if (!user) return tl::unexpected(user.error());
  const std::string subject = policy::user_subject(user->name);
  // F-INVALID-RCPT's restriction is lifted by the same unlock: its count is forgotten, by the
  // running gateway too (issue 15, item 12). The gateway writes its counts about once a second,
  // so a user with the limit set is reset whatever the database shows yet.
  auto sums =
      policy::CounterStore::read_sums(db, subject, kInvalidRecipientWindow, store::unix_now());
  if (!sums) return from_error(sums.error());
  const bool restricted = policy::UserSettings::from(user->settings).invalid_recipient_limit > 0 ||
                          (*sums)[std::string(policy::counter::kInvalidRecipients)] > 0;
  if (restricted) {
    auto reset =
        policy::CounterStore::reset_in_database(db, subject, policy::counter::kInvalidRecipients);
    if (!reset) return from_error(reset.error());
  }
  auto state = policy::admin_unlock(db, subject, reset_unlocks);
  if (!state && !restricted) return from_error(state.error());
  return user;
}

Outcome<store::User> reset_user_counters(store::Database& db, const Actor& actor,
                                         const std::string& name) {
  auto user = get_user(db, actor, name);
  if (!user) return tl::unexpected(user.error());
  if (auto r = policy::CounterStore::reset_in_database(db, policy::user_subject(user->name)); !r)
    return from_error(r.error());
  return user;
}

}  // namespace pw::service
