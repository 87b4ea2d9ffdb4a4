// F-BATV: the tag keys and the per-domain switch in the node database (see the header).
// Trust: domain names from admins go through auth/name_syntax; every value is bound.
#include "store/batv_key_repository.hpp"

#include <sodium.h>

#include "mail/name_syntax.hpp"
#include "store/statement.hpp"
#include "util/ascii_text.hpp"
#include "util/sodium_init.hpp"

namespace pw::store {
namespace {

constexpr size_t kSecretBytes = 32;

// True when every tag made with a key superseded at `superseded_at` has expired by `now`: the
// last one was made that day and verifies through day + lifetime.
bool tags_expired(int64_t superseded_at, int64_t now, int64_t lifetime_days) {
  return superseded_at > 0 &&
         batv::day_number(now) > batv::day_number(superseded_at) + lifetime_days;
}

Result<std::string> new_secret() {
  if (auto r = util::ensure_sodium(); !r) return tl::unexpected(r.error());
  std::string secret(kSecretBytes, '\0');
  randombytes_buf(secret.data(), secret.size());
  return secret;
}

std::string to_hex(const std::string& bytes) {
  std::string hex(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                 bytes.size());
  hex.pop_back();
  return hex;
}

std::string from_hex(const std::string& hex) {
  std::string bytes(hex.size() / 2, '\0');
  size_t length = 0;
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), hex.data(),
                     hex.size(), nullptr, &length, nullptr) != 0)
    return {};
  bytes.resize(length);
  return bytes;
}

Result<int64_t> insert_key(Database& db, int number, int64_t now) {
  auto secret = new_secret();
  if (!secret) return tl::unexpected(secret.error());
  auto inserted = run(db, "INSERT INTO batv_keys(number, secret, created_at) VALUES (?1, ?2, ?3)",
                      {int64_t{number}, to_hex(*secret), now});
  sodium_memzero(secret->data(), secret->size());
  if (!inserted) return tl::unexpected(inserted.error());
  return last_insert_id(db);
}

}  // namespace

Result<std::vector<BatvKey>> BatvKeyRepository::list() {
  auto stmt = query(db_,
                    "SELECT id, number, secret, created_at, retired_at FROM batv_keys "
                    "ORDER BY id DESC");
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<BatvKey> keys;
  int64_t next_created = 0;  // the newer key's creation: when this one was superseded
  while (true) {
    auto row = next_row(db_, stmt->get());
    if (!row) return tl::unexpected(row.error());
    if (!*row) return keys;
    BatvKey key;
    key.id = column_int(stmt->get(), 0);
    key.number = static_cast<int>(column_int(stmt->get(), 1));
    key.secret = from_hex(column_text(stmt->get(), 2));
    key.created_at = column_int(stmt->get(), 3);
    if (!column_is_null(stmt->get(), 4)) key.retired_at = column_int(stmt->get(), 4);
    key.superseded_at = next_created;
    next_created = key.created_at;
    keys.push_back(std::move(key));
  }
}

Result<int64_t> BatvKeyRepository::retire_expired(int64_t now, int64_t lifetime_days) {
  auto keys = list();  // read first: a running gateway checks often and rarely writes
  if (!keys) return tl::unexpected(keys.error());
  std::vector<int64_t> expired;
  for (const auto& key : *keys)
    if (!key.retired_at && tags_expired(key.superseded_at, now, lifetime_days))
      expired.push_back(key.id);
  if (expired.empty()) return int64_t{0};
  return db_.transaction([&]() -> Result<int64_t> {
    for (int64_t id : expired) {
      auto r = run(db_, "UPDATE batv_keys SET retired_at = ?1 WHERE id = ?2 AND retired_at IS NULL",
                   {now, id});
      if (!r) return tl::unexpected(r.error());
    }
    return static_cast<int64_t>(expired.size());
  });
}

Result<BatvKey> BatvKeyRepository::rotate(int64_t now, int64_t lifetime_days) {
  return db_.transaction([&]() -> Result<BatvKey> {
    auto keys = list();
    if (!keys) return tl::unexpected(keys.error());
    int number = 0;
    for (const auto& key : *keys)
      if (!key.retired_at) {
        number = (key.number + 1) % batv::kKeyNumbers;
        break;
      }
    // The number is taken over: whatever key still holds it stops verifying now.
    auto replaced = run(db_,
                        "UPDATE batv_keys SET retired_at = ?1 WHERE number = ?2 AND retired_at "
                        "IS NULL",
                        {now, int64_t{number}});
    if (!replaced) return tl::unexpected(replaced.error());
    auto id = insert_key(db_, number, now);
    if (!id) return tl::unexpected(id.error());
    if (auto r = retire_expired(now, lifetime_days); !r) return tl::unexpected(r.error());
    auto fresh = list();
    if (!fresh) return tl::unexpected(fresh.error());
    return fresh->front();
  });
}

Result<bool> BatvKeyRepository::ensure_key(int64_t now, int64_t lifetime_days) {
  return db_.transaction([&]() -> Result<bool> {
    auto ring = key_ring();
    if (!ring) return tl::unexpected(ring.error());
    if (ring->current >= 0) return false;
    auto key = rotate(now, lifetime_days);
    if (!key) return tl::unexpected(key.error());
    return true;
  });
}

Result<batv::KeyRing> BatvKeyRepository::key_ring() {
  auto keys = list();
  if (!keys) return tl::unexpected(keys.error());
  batv::KeyRing ring;
  for (const auto& key : *keys) {  // newest first: the first in use is current
    if (key.retired_at || key.secret.empty()) continue;
    auto& slot = ring.secrets[static_cast<size_t>(key.number)];
    if (!slot.empty()) continue;
    slot = key.secret;
    if (ring.current < 0) ring.current = key.number;
  }
  return ring;
}

Result<void> BatvKeyRepository::set_domain_batv(std::string_view domain, bool on, int64_t now,
                                                int64_t lifetime_days) {
  auto canonical = mail::canonical_domain_name(domain);
  if (!canonical) return tl::unexpected(canonical.error());
  return db_.transaction([&]() -> Result<void> {
    auto changed =
        run(db_, "UPDATE domains SET batv = ?1 WHERE name = ?2", {int64_t{on ? 1 : 0}, *canonical});
    if (!changed) return tl::unexpected(changed.error());
    if (*changed == 0) return fail("unknown domain " + *canonical);
    if (on)
      if (auto made = ensure_key(now, lifetime_days); !made) return tl::unexpected(made.error());
    return {};
  });
}

Result<bool> BatvKeyRepository::domain_batv(std::string_view domain) {
  auto canonical = mail::canonical_domain_name(domain);
  if (!canonical) return tl::unexpected(canonical.error());
  auto stmt = query(db_, "SELECT batv FROM domains WHERE name = ?1", {*canonical});
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = next_row(db_, stmt->get());
  if (!row) return tl::unexpected(row.error());
  if (!*row) return fail("unknown domain " + *canonical);
  return column_int(stmt->get(), 0) != 0;
}

namespace {

Result<std::vector<std::string>> names_of(Database& db, std::string_view sql) {
  auto stmt = query(db, sql);
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<std::string> names;
  while (true) {
    auto row = next_row(db, stmt->get());
    if (!row) return tl::unexpected(row.error());
    if (!*row) return names;
    names.push_back(util::ascii_lowercase(column_text(stmt->get(), 0)));
  }
}

}  // namespace

Result<std::vector<std::string>> BatvKeyRepository::batv_domains() {
  return names_of(db_,
                  "SELECT name FROM domains WHERE batv = 1 UNION SELECT a.alias FROM "
                  "domain_aliases a JOIN domains d ON d.id = a.domain_id WHERE d.batv = 1");
}

Result<std::vector<std::string>> BatvKeyRepository::node_domains() {
  return names_of(db_, "SELECT name FROM domains UNION SELECT alias FROM domain_aliases");
}

}  // namespace pw::store
