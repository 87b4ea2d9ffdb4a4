// F-BATV: the tag keys (numbers 0-9 with their random secrets, rotated by `postwarden batv
// rotate`) and the per-domain switch `domain set D batv=on|off`. A rotated key keeps verifying
// until every tag made with it has expired, then it is retired; the first key is made when BATV
// is first turned on for a domain.
// Trust: values come from the admin's command line (domain names, validated here); secrets are
// made here from libsodium's generator and never leave through list() callers' output.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "batv/prvs.hpp"
#include "store/database.hpp"
#include "util/result.hpp"

namespace pw::store {

struct BatvKey {
  int64_t id = 0;
  int number = 0;
  std::string secret;  // raw bytes
  int64_t created_at = 0;
  int64_t superseded_at = 0;  // when the next key was made; 0 = the current key
  std::optional<int64_t> retired_at;
};

class BatvKeyRepository {
 public:
  explicit BatvKeyRepository(Database& db) : db_(db) {}

  // Every key ever made, newest first (secrets included: callers must not print them).
  Result<std::vector<BatvKey>> list();
  // A new key with the next number (mod 10) becomes current; keys whose tags have all expired
  // (superseded more than `lifetime_days` whole days ago) are retired, and so is a key still
  // in use under the number the new key takes (after ten rotations within a tag lifetime).
  Result<BatvKey> rotate(int64_t now, int64_t lifetime_days);
  // Retires the keys whose tags have all expired; returns how many.
  Result<int64_t> retire_expired(int64_t now, int64_t lifetime_days);
  // Makes the first key when there is no key in use; true when it made one.
  Result<bool> ensure_key(int64_t now, int64_t lifetime_days);
  // The keys in use (not retired), the newest as current.
  Result<batv::KeyRing> key_ring();

  // The per-domain switch. Turning it on makes the first key when there is none.
  Result<void> set_domain_batv(std::string_view domain, bool on, int64_t now,
                               int64_t lifetime_days);
  Result<bool> domain_batv(std::string_view domain);
  // Lower-case names of the domains with batv on, and of their aliases.
  Result<std::vector<std::string>> batv_domains();
  // Lower-case names of every domain of the node and of their aliases.
  Result<std::vector<std::string>> node_domains();

 private:
  Database& db_;
};

}  // namespace pw::store
