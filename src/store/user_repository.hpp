// Outgoing users (senders) of the domains: authenticating IPs and ranges (F-AUTH-IP), password
// users (F-AUTH-USER) and domain users (F-AUTH-DOMAIN), and their per-user settings.
// Trust: names and values come from admins (CLI, API); all are validated before they are stored.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mail/sender.hpp"
#include "store/database.hpp"
#include "util/ip_address.hpp"
#include "util/result.hpp"

namespace pw::store {

struct User {
  int64_t id = 0;
  mail::SenderKind kind = mail::SenderKind::kIp;
  std::string name;    // canonical CIDR, lower-case e-mail address, or the domain name
  std::string domain;  // the domain it belongs to
  bool has_password = false;
  int64_t created_at = 0;  // seconds since the epoch
  int64_t updated_at = 0;
  std::map<std::string, std::string> settings;  // filled by find() and get(), not by list()
};

// The canonical form of a user name as an admin types it: a CIDR or address (IP users), an
// e-mail address (password users) or a domain name (domain users).
Result<std::string> canonical_user_name(std::string_view text);

// A stored IP user that stands in the way of a new range (see UserRepository::ip_conflict).
struct IpConflict {
  std::string range;       // the stored range, canonical
  std::string domain;      // the domain it belongs to
  bool duplicate = false;  // the same range; else an overlap with another domain's range
};

// One row of the sender directory (auth/sender_directory): every user with its password hash.
struct SenderRow {
  int64_t id = 0;
  std::string kind;  // "ip", "user" or "domain"
  std::string name;
  std::string password_hash;  // "" for IP users
  std::string domain;
};

class UserRepository {
 public:
  explicit UserRepository(Database& db) : db_(db) {}

  // An IP or range for `domain`. Refused when it duplicates an existing range, or overlaps a range
  // of another domain (an address belongs to one domain); overlaps within the domain are fine.
  Result<User> add_ip(std::string_view cidr, std::string_view domain);
  // The stored range that would refuse `range` for `domain` in add_ip, if any.
  Result<std::optional<IpConflict>> ip_conflict(const util::Cidr& range, std::string_view domain);
  // A password user; the address's domain must exist already.
  Result<User> add_user(std::string_view email, std::string_view password_hash);
  // The domain user of an existing domain; at most one per domain.
  Result<User> add_domain(std::string_view domain, std::string_view password_hash);

  Result<std::vector<User>> list(std::string_view domain = {});  // "" = every domain
  Result<std::optional<User>> find(std::string_view name);
  Result<User> get(std::string_view name);  // a missing user is the error "unknown user X"
  Result<void> remove(std::string_view name);

  // There is deliberately no rename: the IP of an IP user never changes (F-AUTH-IP).
  Result<void> set_password_hash(std::string_view name, std::string_view password_hash);
  // Stores settings as given, all or none; an empty value removes one (back to its default).
  // Callers store only what service/user_settings_change accepted, in its canonical form.
  Result<void> set_settings(std::string_view name,
                            const std::vector<std::pair<std::string, std::string>>& settings);
  Result<void> set_setting(std::string_view name, std::string_view key, std::string_view value);
  // Every user of every domain, for the sender directory.
  Result<std::vector<SenderRow>> senders();
  // True when a template named `name` is stored (`postwarden template set`).
  Result<bool> template_exists(std::string_view name);

 private:
  Result<User> insert(mail::SenderKind kind, const std::string& name, int64_t domain_id,
                      std::string_view password_hash);
  Database& db_;
};

}  // namespace pw::store
