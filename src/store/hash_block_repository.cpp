// The hash block list's table (migration 8): validation and SQL.
#include "store/hash_block_repository.hpp"

#include <algorithm>
#include <cctype>

#include "scan/fuzzy_fingerprint.hpp"
#include "store/statement.hpp"
#include "util/sha256.hpp"

namespace pw::store {

Result<std::string> validate_hash_block(std::string_view kind, std::string_view value) {
  if (kind == kHashKindSha256) {
    if (!util::is_sha256_hex(value))
      return fail("a SHA-256 hash is 64 hex digits; got " + std::to_string(value.size()) +
                  " characters");
    std::string lower(value);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lower;
  }
  if (kind == kHashKindFuzzy) {
    auto fp = scan::FuzzyFingerprint::parse(value);
    if (!fp) return tl::unexpected(fp.error());
    return fp->to_string();
  }
  return fail("unknown hash kind \"" + std::string(kind) + "\"; valid kinds: sha256, fuzzy");
}

Result<void> validate_hash_note(std::string_view note) {
  if (note.size() > kHashNoteMaxLength)
    return fail("a note is at most " + std::to_string(kHashNoteMaxLength) + " characters");
  for (unsigned char c : note) {
    if (c < 0x20 || c == 0x7F) return fail("a note is one line of text without control characters");
  }
  return {};
}

Result<HashBlock> HashBlockRepository::add(std::string_view kind, std::string_view value,
                                           std::string_view note) {
  auto canonical = validate_hash_block(kind, value);
  if (!canonical) return tl::unexpected(canonical.error());
  if (auto ok = validate_hash_note(note); !ok) return tl::unexpected(ok.error());
  return db_.transaction([&]() -> Result<HashBlock> {
    auto existing = query(db_, "SELECT id FROM hash_blocks WHERE kind = ?1 AND value = ?2",
                          {kind, std::string_view(*canonical)});
    if (!existing) return tl::unexpected(existing.error());
    auto row = next_row(db_, existing->get());
    if (!row) return tl::unexpected(row.error());
    if (*row)
      return fail("this " + std::string(kind) + " value is listed already as entry " +
                  std::to_string(column_int(existing->get(), 0)));
    HashBlock block{0, std::string(kind), *canonical, std::string(note), unix_now()};
    auto inserted =
        run(db_, "INSERT INTO hash_blocks(kind, value, note, created_at) VALUES (?1, ?2, ?3, ?4)",
            {kind, std::string_view(block.value), note, block.created_at});
    if (!inserted) return tl::unexpected(inserted.error());
    block.id = last_insert_id(db_);
    return block;
  });
}

Result<std::vector<HashBlock>> HashBlockRepository::list() {
  auto stmt =
      query(db_, "SELECT id, kind, value, note, created_at FROM hash_blocks ORDER BY id", {});
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<HashBlock> out;
  for (;;) {
    auto row = next_row(db_, stmt->get());
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    out.push_back({column_int(stmt->get(), 0), column_text(stmt->get(), 1),
                   column_text(stmt->get(), 2), column_text(stmt->get(), 3),
                   column_int(stmt->get(), 4)});
  }
  return out;
}

Result<HashBlock> HashBlockRepository::remove(int64_t id) {
  return db_.transaction([&]() -> Result<HashBlock> {
    auto stmt =
        query(db_, "SELECT id, kind, value, note, created_at FROM hash_blocks WHERE id = ?1", {id});
    if (!stmt) return tl::unexpected(stmt.error());
    auto row = next_row(db_, stmt->get());
    if (!row) return tl::unexpected(row.error());
    if (!*row) return fail("no hash block list entry " + std::to_string(id));
    HashBlock block{column_int(stmt->get(), 0), column_text(stmt->get(), 1),
                    column_text(stmt->get(), 2), column_text(stmt->get(), 3),
                    column_int(stmt->get(), 4)};
    stmt->reset();
    auto removed = run(db_, "DELETE FROM hash_blocks WHERE id = ?1", {id});
    if (!removed) return tl::unexpected(removed.error());
    return block;
  });
}

}  // namespace pw::store
