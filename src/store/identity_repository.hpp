// The sender identities of users (F-LOCK-ID, `identity list/add`): the `identities` rows.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.hpp"
#include "util/result.hpp"

namespace pw::store {

struct IdentityRow {
  std::string domain;
  std::string user;
  std::string identity;
  bool manual = false;  // added by an administrator
  int64_t created_at = 0;
  int64_t last_seen_at = 0;
  int64_t messages = 0;
};

class IdentityRepository {
 public:
  explicit IdentityRepository(Database& db) : db_(db) {}

  // By domain, user and identity; "" filters match anything (names in any case).
  Result<std::vector<IdentityRow>> list(std::string_view domain, std::string_view user);
  // Adds the identity as an administrator's, or marks a seen one as such.
  Result<void> add_manual(int64_t user_id, std::string_view identity, int64_t now);
  // Adds it as an administrator's unless it is known already.
  Result<void> add_manual_if_missing(int64_t user_id, std::string_view identity, int64_t now);

 private:
  Database& db_;
};

}  // namespace pw::store
