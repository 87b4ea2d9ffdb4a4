// Quarantine rows (see the header).
#include "store/quarantine_rows.hpp"

#include "store/statement.hpp"

namespace pw::store {

Result<std::optional<HeldMessageFacts>> held_message_facts(Database& db, std::string_view id) {
  auto stmt = query(db, "SELECT subject, size, rcpt_to FROM quarantine WHERE id = ?1", {id});
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = next_row(db, stmt->get());
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<HeldMessageFacts>();
  return std::optional<HeldMessageFacts>(HeldMessageFacts{
      column_text(stmt->get(), 0), column_int(stmt->get(), 1), column_text(stmt->get(), 2)});
}

}  // namespace pw::store
