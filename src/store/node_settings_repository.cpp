// Node settings and templates (see the header).
#include "store/node_settings_repository.hpp"

#include "store/statement.hpp"

namespace pw::store {

Result<std::string> NodeSettingsRepository::get(std::string_view key) {
  auto stmt = query(db_, "SELECT value FROM node_settings WHERE key = ?1", {key});
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = next_row(db_, stmt->get());
  if (!row) return tl::unexpected(row.error());
  return *row ? column_text(stmt->get(), 0) : std::string();
}

Result<void> NodeSettingsRepository::set(std::string_view key, std::string_view value,
                                         int64_t now) {
  auto r = run(db_,
               "INSERT INTO node_settings(key, value, updated_at) VALUES (?1, ?2, ?3) ON "
               "CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = "
               "excluded.updated_at",
               {key, value, now});
  if (!r) return tl::unexpected(r.error());
  return {};
}

Result<void> NodeSettingsRepository::remove(std::string_view key) {
  auto r = run(db_, "DELETE FROM node_settings WHERE key = ?1", {key});
  if (!r) return tl::unexpected(r.error());
  return {};
}

Result<std::optional<TemplateRow>> NodeSettingsRepository::find_template(std::string_view name) {
  auto stmt = query(db_, "SELECT subject, body FROM templates WHERE name = ?1", {name});
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = next_row(db_, stmt->get());
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<TemplateRow>();
  return std::optional<TemplateRow>(
      TemplateRow{column_text(stmt->get(), 0), column_text(stmt->get(), 1)});
}

Result<void> NodeSettingsRepository::save_template(std::string_view name, std::string_view subject,
                                                   std::string_view body, int64_t now) {
  return db_.transaction([&]() -> Result<void> {
    auto put = run(db_,
                   "INSERT INTO templates(name, subject, body, updated_at) VALUES (?1, ?2, ?3, "
                   "?4) ON CONFLICT(name) DO UPDATE SET subject = excluded.subject, body = "
                   "excluded.body, updated_at = excluded.updated_at",
                   {name, subject, body, now});
    if (!put) return tl::unexpected(put.error());
    auto bump = run(db_, "UPDATE meta SET value = value + 1 WHERE key = 'config_generation'");
    if (!bump) return tl::unexpected(bump.error());
    return {};
  });
}

}  // namespace pw::store
