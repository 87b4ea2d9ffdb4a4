// F-BATV: rotation and retirement of the tag keys (see the header).
#include "batv/batv_keys.hpp"

#include <sodium.h>

#include <string>

#include "util/sodium_init.hpp"

namespace pw::batv {
namespace {

constexpr size_t kSecretBytes = 32;

// True when every tag made with a key superseded at `superseded_at` has expired by `now`: the
// last one was made that day and verifies through day + lifetime.
bool tags_expired(int64_t superseded_at, int64_t now, int64_t lifetime_days) {
  return superseded_at > 0 && day_number(now) > day_number(superseded_at) + lifetime_days;
}

Result<int64_t> insert_new_key(store::BatvKeyRepository& rows, int number, int64_t now) {
  if (auto r = util::ensure_sodium(); !r) return tl::unexpected(r.error());
  std::string secret(kSecretBytes, '\0');
  randombytes_buf(secret.data(), secret.size());
  auto id = rows.insert(number, secret, now);
  sodium_memzero(secret.data(), secret.size());
  return id;
}

}  // namespace

Result<int64_t> BatvKeys::retire_expired(int64_t now, int64_t lifetime_days) {
  auto keys = rows_.list();  // read first: a running gateway checks often and rarely writes
  if (!keys) return tl::unexpected(keys.error());
  std::vector<int64_t> expired;
  for (const auto& key : *keys)
    if (!key.retired_at && tags_expired(key.superseded_at, now, lifetime_days))
      expired.push_back(key.id);
  if (expired.empty()) return int64_t{0};
  return db_.transaction([&]() -> Result<int64_t> {
    for (int64_t id : expired)
      if (auto r = rows_.retire(id, now); !r) return tl::unexpected(r.error());
    return static_cast<int64_t>(expired.size());
  });
}

Result<store::BatvKey> BatvKeys::rotate(int64_t now, int64_t lifetime_days) {
  return db_.transaction([&]() -> Result<store::BatvKey> {
    auto keys = rows_.list();
    if (!keys) return tl::unexpected(keys.error());
    int number = 0;
    for (const auto& key : *keys)
      if (!key.retired_at) {
        number = (key.number + 1) % kKeyNumbers;
        break;
      }
    // The number is taken over: whatever key still holds it stops verifying now.
    if (auto r = rows_.retire_number(number, now); !r) return tl::unexpected(r.error());
    if (auto id = insert_new_key(rows_, number, now); !id) return tl::unexpected(id.error());
    if (auto r = retire_expired(now, lifetime_days); !r) return tl::unexpected(r.error());
    auto fresh = rows_.list();
    if (!fresh) return tl::unexpected(fresh.error());
    return fresh->front();
  });
}

Result<bool> BatvKeys::ensure_key(int64_t now, int64_t lifetime_days) {
  return db_.transaction([&]() -> Result<bool> {
    auto ring = key_ring();
    if (!ring) return tl::unexpected(ring.error());
    if (ring->current >= 0) return false;
    auto key = rotate(now, lifetime_days);
    if (!key) return tl::unexpected(key.error());
    return true;
  });
}

Result<KeyRing> BatvKeys::key_ring() {
  auto keys = rows_.list();
  if (!keys) return tl::unexpected(keys.error());
  KeyRing ring;
  for (const auto& key : *keys) {  // newest first: the first in use is current
    if (key.retired_at || key.secret.empty()) continue;
    if (key.number < 0 || key.number >= kKeyNumbers) continue;
    auto& slot = ring.secrets[static_cast<size_t>(key.number)];
    if (!slot.empty()) continue;
    slot = key.secret;
    if (ring.current < 0) ring.current = key.number;
  }
  return ring;
}

Result<void> BatvKeys::set_domain_batv(std::string_view domain, bool on, int64_t now,
                                       int64_t lifetime_days) {
  return db_.transaction([&]() -> Result<void> {
    if (auto r = rows_.set_domain_flag(domain, on); !r) return r;
    if (on)
      if (auto made = ensure_key(now, lifetime_days); !made) return tl::unexpected(made.error());
    return {};
  });
}

}  // namespace pw::batv
