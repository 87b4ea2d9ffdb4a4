// The hash block list's table (migration 8).
#include "store/hash_block_repository.hpp"

#include "store/statement.hpp"

namespace pw::store {

Result<HashBlock> HashBlockRepository::add(std::string_view kind, std::string_view value,
                                           std::string_view note) {
  return db_.transaction([&]() -> Result<HashBlock> {
    auto existing =
        query(db_, "SELECT id FROM hash_blocks WHERE kind = ?1 AND value = ?2", {kind, value});
    if (!existing) return tl::unexpected(existing.error());
    auto row = next_row(db_, existing->get());
    if (!row) return tl::unexpected(row.error());
    if (*row)
      return fail("this " + std::string(kind) + " value is listed already as entry " +
                  std::to_string(column_int(existing->get(), 0)));
    HashBlock block{0, std::string(kind), std::string(value), std::string(note), unix_now()};
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
