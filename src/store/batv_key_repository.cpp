// F-BATV: the rows of the tag keys and the per-domain switch (see the header).
// Trust: domain names from admins go through auth/name_syntax; every value is bound.
#include "store/batv_key_repository.hpp"

#include <sodium.h>

#include "mail/name_syntax.hpp"
#include "store/statement.hpp"
#include "util/ascii_text.hpp"

namespace pw::store {
namespace {

std::string to_hex(std::string_view bytes) {
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

Result<int64_t> BatvKeyRepository::insert(int number, std::string_view secret, int64_t now) {
  auto inserted = run(db_, "INSERT INTO batv_keys(number, secret, created_at) VALUES (?1, ?2, ?3)",
                      {int64_t{number}, to_hex(secret), now});
  if (!inserted) return tl::unexpected(inserted.error());
  return last_insert_id(db_);
}

Result<void> BatvKeyRepository::retire(int64_t id, int64_t now) {
  auto r = run(db_, "UPDATE batv_keys SET retired_at = ?1 WHERE id = ?2 AND retired_at IS NULL",
               {now, id});
  if (!r) return tl::unexpected(r.error());
  return {};
}

Result<void> BatvKeyRepository::retire_number(int number, int64_t now) {
  auto r = run(db_, "UPDATE batv_keys SET retired_at = ?1 WHERE number = ?2 AND retired_at IS NULL",
               {now, int64_t{number}});
  if (!r) return tl::unexpected(r.error());
  return {};
}

Result<void> BatvKeyRepository::set_domain_flag(std::string_view domain, bool on) {
  auto canonical = mail::canonical_domain_name(domain);
  if (!canonical) return tl::unexpected(canonical.error());
  auto changed =
      run(db_, "UPDATE domains SET batv = ?1 WHERE name = ?2", {int64_t{on ? 1 : 0}, *canonical});
  if (!changed) return tl::unexpected(changed.error());
  if (*changed == 0) return fail("unknown domain " + *canonical);
  return {};
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
