// The identities of the outgoing users (F-IDENT) and their locks (F-LOCK-ID) for the CLI and the
// REST API: list with lock state and 24-hour counters, add by hand, lock and unlock. A domain
// admin sees and changes only the identities of its own domain's users.
// Trust: user names and identities come from the CLI or the API; each is checked here.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "policy/lock_book.hpp"
#include "service/actor.hpp"
#include "service/outcome.hpp"
#include "store/database.hpp"
#include "store/user_repository.hpp"

namespace pw::service {

inline constexpr size_t kMaxIdentity = 256;

// 1 to kMaxIdentity characters, no control characters.
Outcome<void> check_identity(const std::string& identity);

struct IdentityFilter {
  std::string domain;  // "" = every domain the actor may see
  std::string user;    // "" = every user
  bool locked_only = false;
};
struct IdentityView {
  std::string domain;
  std::string user;
  std::string identity;
  bool manual = false;
  int64_t created_at = 0;
  int64_t last_seen_at = 0;
  int64_t messages = 0;  // since it was first seen
  std::optional<policy::LockState> lock;
  bool locked = false;  // a lock in force now
  std::map<std::string, int64_t> counters_24h;
};
Outcome<std::vector<IdentityView>> list_identities(store::Database& db, const Actor& actor,
                                                   const IdentityFilter& filter);
Outcome<store::User> add_identity(store::Database& db, const Actor& actor, const std::string& user,
                                  const std::string& identity);
// A locked identity is listed even before it sent anything.
Outcome<store::User> lock_identity(store::Database& db, const Actor& actor, const std::string& user,
                                   const std::string& identity, const std::string& reason);
Outcome<store::User> unlock_identity(store::Database& db, const Actor& actor,
                                     const std::string& user, const std::string& identity,
                                     bool reset_unlocks);

}  // namespace pw::service
