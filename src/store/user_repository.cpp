// Senders in the node database, with the rules that keep the sender directory unambiguous: an IP
// range belongs to one domain, a user's address is in a known domain, one domain user per domain.
// Trust: admin input, validated (auth/ip_address, auth/name_syntax) before any statement sees it.
#include "store/user_repository.hpp"

#include <algorithm>

#include "mail/name_syntax.hpp"
#include "store/domain_repository.hpp"
#include "store/statement.hpp"
#include "util/ascii_text.hpp"
#include "util/ip_address.hpp"

namespace pw::store {
namespace {

constexpr std::string_view kSelectUser =
    "SELECT u.id, u.kind, u.name, d.name, u.password_hash IS NOT NULL, u.created_at, "
    "u.updated_at FROM users u JOIN domains d ON d.id = u.domain_id ";

Result<User> read_user(const Row* stmt) {
  User user;
  user.id = column_int(stmt, 0);
  auto kind_text = column_text(stmt, 1);
  auto kind = mail::parse_sender_kind(kind_text);
  user.name = column_text(stmt, 2);
  if (!kind) return fail("user " + user.name + " has an unknown kind " + kind_text);
  user.kind = *kind;
  user.domain = column_text(stmt, 3);
  user.has_password = column_int(stmt, 4) != 0;
  user.created_at = column_int(stmt, 5);
  user.updated_at = column_int(stmt, 6);
  return user;
}

bool looks_like_ip(std::string_view text) {
  return text.find_first_of(":/") != std::string_view::npos ||
         std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

}  // namespace

Result<std::string> canonical_user_name(std::string_view text) {
  if (text.empty()) return fail("empty user name");
  if (auto range = util::Cidr::parse(text)) return range->str();
  if (text.find('@') != std::string_view::npos) return mail::canonical_email_address(text);
  if (looks_like_ip(text)) {
    auto range = util::Cidr::parse(text);
    return tl::unexpected(range.error());
  }
  return mail::canonical_domain_name(text);
}

Result<User> UserRepository::insert(mail::SenderKind kind, const std::string& name,
                                    int64_t domain_id, std::string_view password_hash) {
  auto existing = find(name);
  if (!existing) return tl::unexpected(existing.error());
  if (*existing) {
    return fail("user " + name + " already exists (" + std::string(mail::to_string(kind)) + " in " +
                (*existing)->domain + ")");
  }
  auto now = unix_now();
  SqlValue hash = password_hash.empty() ? SqlValue(nullptr) : SqlValue(password_hash);
  auto inserted = run(db_,
                      "INSERT INTO users(domain_id, kind, name, password_hash, created_at, "
                      "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                      {domain_id, mail::to_string(kind), name, hash, now});
  if (!inserted) return tl::unexpected(inserted.error());
  return get(name);
}

Result<std::optional<IpConflict>> UserRepository::ip_conflict(const util::Cidr& range,
                                                              std::string_view domain) {
  auto stmt = query(db_,
                    "SELECT u.name, d.name FROM users u JOIN domains d ON d.id = u.domain_id "
                    "WHERE u.kind = 'ip'");
  if (!stmt) return tl::unexpected(stmt.error());
  while (true) {
    auto row = next_row(db_, stmt->get());
    if (!row) return tl::unexpected(row.error());
    if (!*row) return std::optional<IpConflict>();
    auto other_name = column_text(stmt->get(), 0);
    auto other_domain = column_text(stmt->get(), 1);
    auto other = util::Cidr::parse(other_name);
    if (!other) return fail("stored range " + other_name + ": " + other.error().message);
    if (*other == range)
      return std::optional<IpConflict>(IpConflict{other->str(), other_domain, true});
    if (other_domain != domain && other->overlaps(range))
      return std::optional<IpConflict>(IpConflict{other->str(), other_domain, false});
  }
}

Result<User> UserRepository::add_ip(std::string_view cidr, std::string_view domain) {
  auto range = util::Cidr::parse(cidr);
  if (!range) return tl::unexpected(range.error());
  return db_.transaction([&]() -> Result<User> {
    auto owner = DomainRepository(db_).get(domain);
    if (!owner) return tl::unexpected(owner.error());
    auto conflict = ip_conflict(*range, owner->name);
    if (!conflict) return tl::unexpected(conflict.error());
    if (*conflict && (*conflict)->duplicate)
      return fail(range->str() + " already exists (in domain " + (*conflict)->domain + ")");
    if (*conflict)
      return fail(range->str() + " overlaps " + (*conflict)->range + " of domain " +
                  (*conflict)->domain + "; an IP address or range belongs to exactly one domain");
    return insert(mail::SenderKind::kIp, range->str(), owner->id, {});
  });
}

Result<User> UserRepository::add_user(std::string_view email, std::string_view password_hash) {
  auto address = mail::canonical_email_address(email);
  if (!address) return tl::unexpected(address.error());
  if (password_hash.empty()) return fail("user " + *address + " needs a password");
  return db_.transaction([&]() -> Result<User> {
    auto owner = DomainRepository(db_).get(address->substr(address->rfind('@') + 1));
    if (!owner) return tl::unexpected(owner.error());
    return insert(mail::SenderKind::kUser, *address, owner->id, password_hash);
  });
}

Result<User> UserRepository::add_domain(std::string_view domain, std::string_view password_hash) {
  auto name = mail::canonical_domain_name(domain);
  if (!name) return tl::unexpected(name.error());
  if (password_hash.empty()) return fail("domain user " + *name + " needs a password");
  return db_.transaction([&]() -> Result<User> {
    auto owner = DomainRepository(db_).get(*name);
    if (!owner) return tl::unexpected(owner.error());
    auto stmt =
        query(db_, "SELECT name FROM users WHERE domain_id = ?1 AND kind = 'domain'", {owner->id});
    if (!stmt) return tl::unexpected(stmt.error());
    auto row = next_row(db_, stmt->get());
    if (!row) return tl::unexpected(row.error());
    if (*row) return fail("domain " + owner->name + " already has a domain user");
    return insert(mail::SenderKind::kDomain, owner->name, owner->id, password_hash);
  });
}

Result<std::vector<User>> UserRepository::list(std::string_view domain) {
  Result<StatementPtr> stmt;
  if (domain.empty()) {
    stmt = query(db_, std::string(kSelectUser) + "ORDER BY d.name, u.kind, u.name");
  } else {
    auto owner = DomainRepository(db_).get(domain);
    if (!owner) return tl::unexpected(owner.error());
    stmt = query(db_, std::string(kSelectUser) + "WHERE u.domain_id = ?1 ORDER BY u.kind, u.name",
                 {owner->id});
  }
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<User> users;
  while (true) {
    auto row = next_row(db_, stmt->get());
    if (!row) return tl::unexpected(row.error());
    if (!*row) return users;
    auto user = read_user(stmt->get());
    if (!user) return tl::unexpected(user.error());
    users.push_back(std::move(*user));
  }
}

Result<std::optional<User>> UserRepository::find(std::string_view name) {
  auto canonical = canonical_user_name(name);
  if (!canonical) return tl::unexpected(canonical.error());
  auto stmt = query(db_, std::string(kSelectUser) + "WHERE u.name = ?1", {*canonical});
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = next_row(db_, stmt->get());
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<User>();
  auto user = read_user(stmt->get());
  if (!user) return tl::unexpected(user.error());

  auto settings = query(db_, "SELECT key, value FROM user_settings WHERE user_id = ?1 ORDER BY key",
                        {user->id});
  if (!settings) return tl::unexpected(settings.error());
  while (true) {
    auto setting = next_row(db_, settings->get());
    if (!setting) return tl::unexpected(setting.error());
    if (!*setting) break;
    user->settings.emplace(column_text(settings->get(), 0), column_text(settings->get(), 1));
  }
  return std::optional<User>(std::move(*user));
}

Result<User> UserRepository::get(std::string_view name) {
  auto found = find(name);
  if (!found) return tl::unexpected(found.error());
  if (!*found) return fail("unknown user " + *canonical_user_name(name));
  return std::move(**found);
}

Result<void> UserRepository::remove(std::string_view name) {
  auto user = get(name);
  if (!user) return tl::unexpected(user.error());
  auto removed = run(db_, "DELETE FROM users WHERE id = ?1", {user->id});
  if (!removed) return tl::unexpected(removed.error());
  return {};
}

Result<void> UserRepository::set_password_hash(std::string_view name,
                                               std::string_view password_hash) {
  auto user = get(name);
  if (!user) return tl::unexpected(user.error());
  if (user->kind == mail::SenderKind::kIp) {
    return fail(user->name + " is an IP user: it is identified by its address and has no password");
  }
  if (password_hash.empty()) return fail("empty password hash");
  auto updated = run(db_, "UPDATE users SET password_hash = ?1, updated_at = ?2 WHERE id = ?3",
                     {password_hash, unix_now(), user->id});
  if (!updated) return tl::unexpected(updated.error());
  return {};
}

Result<void> UserRepository::set_settings(
    std::string_view name, const std::vector<std::pair<std::string, std::string>>& settings) {
  return db_.transaction([&]() -> Result<void> {
    auto user = get(name);
    if (!user) return tl::unexpected(user.error());
    for (const auto& [key, value] : settings) {
      std::string_view key_view = key;
      std::string_view value_view = value;
      auto changed = value_view.empty()
                         ? run(db_, "DELETE FROM user_settings WHERE user_id = ?1 AND key = ?2",
                               {user->id, key_view})
                         : run(db_,
                               "INSERT INTO user_settings(user_id, key, value) VALUES (?1, ?2, ?3) "
                               "ON CONFLICT(user_id, key) DO UPDATE SET value = excluded.value",
                               {user->id, key_view, value_view});
      if (!changed) return tl::unexpected(changed.error());
    }
    auto touched =
        run(db_, "UPDATE users SET updated_at = ?1 WHERE id = ?2", {unix_now(), user->id});
    if (!touched) return tl::unexpected(touched.error());
    return {};
  });
}

Result<std::vector<SenderRow>> UserRepository::senders() {
  auto stmt = query(db_,
                    "SELECT u.id, u.kind, u.name, COALESCE(u.password_hash, ''), d.name FROM users "
                    "u JOIN domains d ON d.id = u.domain_id");
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<SenderRow> out;
  for (;;) {
    auto row = next_row(db_, stmt->get());
    if (!row) return tl::unexpected(row.error());
    if (!*row) return out;
    out.push_back({column_int(stmt->get(), 0), column_text(stmt->get(), 1),
                   column_text(stmt->get(), 2), column_text(stmt->get(), 3),
                   column_text(stmt->get(), 4)});
  }
}

Result<bool> UserRepository::template_exists(std::string_view name) {
  auto stmt = query(db_, "SELECT 1 FROM templates WHERE name = ?1", {name});
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = next_row(db_, stmt->get());
  if (!row) return tl::unexpected(row.error());
  return *row;
}

Result<void> UserRepository::set_setting(std::string_view name, std::string_view key,
                                         std::string_view value) {
  return set_settings(name, {{std::string(key), std::string(value)}});
}

}  // namespace pw::store
