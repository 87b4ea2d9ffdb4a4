// An immutable snapshot of every sender, read from the database, for lock-free look-ups by the
// event loops. The server swaps in a new snapshot when the database's config generation changes.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/sender.hpp"
#include "util/ip_address.hpp"
#include "util/result.hpp"

namespace pw::store {
class Database;
}

namespace pw::auth {

struct Login {
  mail::Sender sender;
  std::string password_hash;  // argon2id string (libsodium format)
};

class SenderDirectory {
 public:
  // The IP sender whose range holds `address`: the longest prefix wins.
  std::optional<mail::Sender> match_ip(const util::IpAddress& address) const;
  // The password sender for an AUTH username: a full e-mail address finds a user sender, a bare
  // domain name finds that domain's domain sender. Case-insensitive. nullopt when none.
  std::optional<Login> find_login(std::string_view username) const;

  size_t size() const;

  // Builders used by load(): tests may build directories by hand.
  void add_ip(util::Cidr range, mail::Sender sender);
  void add_login(Login login);

 private:
  std::vector<std::pair<util::Cidr, mail::Sender>> ranges_;  // sorted by prefix, longest first
  std::vector<Login> logins_;                                // sorted by lower-cased name
};

// Reads every domain and sender from the database.
Result<std::shared_ptr<const SenderDirectory>> load_sender_directory(store::Database& db);

}  // namespace pw::auth
