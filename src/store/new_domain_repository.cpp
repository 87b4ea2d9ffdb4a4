// The `new_domains` table (migration 7).
#include "store/new_domain_repository.hpp"

#include "store/statement.hpp"

namespace pw::store {

Result<size_t> NewDomainRepository::import(std::span<const NewDomainRecord> records) {
  return db_.transaction([&]() -> Result<size_t> {
    for (const auto& record : records) {
      auto r = run(db_,
                   "INSERT INTO new_domains(domain, registered_at, imported_at) VALUES (?1, ?2, "
                   "?3) ON CONFLICT(domain) DO UPDATE SET registered_at = excluded.registered_at, "
                   "imported_at = excluded.imported_at",
                   {record.domain, record.registered_at, record.imported_at});
      if (!r) return tl::unexpected(r.error());
    }
    auto bumped = run(db_, "UPDATE meta SET value = value + 1 WHERE key = 'config_generation'", {});
    if (!bumped) return tl::unexpected(bumped.error());
    return records.size();
  });
}

Result<std::vector<NewDomainRecord>> NewDomainRepository::list() {
  auto stmt = query(db_,
                    "SELECT domain, registered_at, imported_at FROM new_domains ORDER BY "
                    "registered_at DESC, domain",
                    {});
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<NewDomainRecord> out;
  for (;;) {
    auto row = next_row(db_, stmt->get());
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    out.push_back(
        {column_text(stmt->get(), 0), column_int(stmt->get(), 1), column_int(stmt->get(), 2)});
  }
  return out;
}

Result<std::optional<NewDomainRecord>> NewDomainRepository::find(const std::string& domain) {
  auto stmt =
      query(db_, "SELECT domain, registered_at, imported_at FROM new_domains WHERE domain = ?1",
            {domain});
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = next_row(db_, stmt->get());
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<NewDomainRecord>();
  return std::optional<NewDomainRecord>(NewDomainRecord{
      column_text(stmt->get(), 0), column_int(stmt->get(), 1), column_int(stmt->get(), 2)});
}

}  // namespace pw::store
