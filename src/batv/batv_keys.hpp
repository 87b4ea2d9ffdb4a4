// F-BATV: the life of the tag keys. A rotated key keeps verifying until every tag made with it has
// expired, then it is retired; the first key is made when BATV is first turned on for a domain;
// after ten rotations within a tag lifetime the number is taken over. The rows are in
// store/batv_key_repository.
// Trust: secrets are made here from libsodium's generator and never printed.
#pragma once
#include <cstdint>
#include <string_view>

#include "batv/prvs.hpp"
#include "store/batv_key_repository.hpp"
#include "util/result.hpp"

namespace pw::batv {

class BatvKeys {
 public:
  explicit BatvKeys(store::Database& db) : db_(db), rows_(db) {}

  // A new key with the next number (mod 10) becomes current; keys whose tags have all expired
  // (superseded more than `lifetime_days` whole days ago) are retired, and so is a key still
  // in use under the number the new key takes.
  Result<store::BatvKey> rotate(int64_t now, int64_t lifetime_days);
  // Retires the keys whose tags have all expired; returns how many.
  Result<int64_t> retire_expired(int64_t now, int64_t lifetime_days);
  // Makes the first key when there is no key in use; true when it made one.
  Result<bool> ensure_key(int64_t now, int64_t lifetime_days);
  // The keys in use (not retired), the newest as current.
  Result<KeyRing> key_ring();
  // The per-domain switch. Turning it on makes the first key when there is none.
  Result<void> set_domain_batv(std::string_view domain, bool on, int64_t now,
                               int64_t lifetime_days);

 private:
  store::Database& db_;
  store::BatvKeyRepository rows_;
};

}  // namespace pw::batv
