// Domains (F-DOM): add, list, find, remove and change their administrator contact and DKIM
// selector. Names are validated and stored lower-cased.
// Trust: names and values come from admins (CLI, API); all are validated before they are stored.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.hpp"
#include "util/result.hpp"

namespace pw::store {

struct Domain {
  int64_t id = 0;
  std::string name;           // canonical, lower-case
  std::string admin_contact;  // e-mail address that receives abuse reports; "" = none
  std::string dkim_selector;  // default DKIM selector; "" = none yet
  int64_t created_at = 0;     // seconds since the epoch
  int64_t user_count = 0;     // senders of the domain, all kinds
};

class DomainRepository {
 public:
  explicit DomainRepository(Database& db) : db_(db) {}

  Result<Domain> add(std::string_view name, std::string_view admin_contact = {},
                     std::string_view dkim_selector = {});
  Result<std::vector<Domain>> list();  // by name
  // nullopt when there is no such domain; an error when `name` is not a domain name at all.
  Result<std::optional<Domain>> find(std::string_view name);
  // Like find(), but a missing domain is the error "unknown domain X; add it first ...".
  Result<Domain> get(std::string_view name);
  // Refused while the domain has senders unless `force`, which removes them with it. Returns the
  // number of senders removed.
  Result<int64_t> remove(std::string_view name, bool force);
  Result<void> set_admin_contact(std::string_view name, std::string_view admin_contact);
  Result<void> set_dkim_selector(std::string_view name, std::string_view dkim_selector);
  // F-SPAM: the domain's spam threshold in points; nullopt = the configured default.
  Result<void> set_spam_threshold(std::string_view name, std::optional<int64_t> threshold);
  Result<std::optional<int64_t>> spam_threshold(std::string_view name);
  // The domain a canonical name belongs to: itself, or the domain it is an alias of (any case);
  // nullopt when neither.
  Result<std::optional<std::string>> owner_of(std::string_view canonical_name);

 private:
  Database& db_;
};

}  // namespace pw::store
