// Quarantine rows (see the header).
#include "store/quarantine_rows.hpp"

#include <nlohmann/json.hpp>
#include <span>

#include "store/statement.hpp"

namespace pw::store {
namespace {

constexpr std::string_view kRowColumns =
    "id, held_at, client_ip, sender_kind, sender, user_domain, identity, mail_from, rcpt_to, "
    "subject, header_message_id, size, check_name, reasons, score, response, status, "
    "released_at, released_by, queue_id";

std::vector<std::string> parse_recipients(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const auto& item : j)
    if (item.is_string()) out.push_back(item.get<std::string>());
  return out;
}

QuarantinedRow read_row(const Row* stmt) {
  QuarantinedRow row;
  row.id = column_text(stmt, 0);
  row.held_at = column_int(stmt, 1);
  row.client_ip = column_text(stmt, 2);
  row.sender_kind = column_text(stmt, 3);
  row.sender = column_text(stmt, 4);
  row.user_domain = column_text(stmt, 5);
  row.identity = column_text(stmt, 6);
  row.mail_from = column_text(stmt, 7);
  row.rcpt_to = parse_recipients(column_text(stmt, 8));
  row.subject = column_text(stmt, 9);
  row.header_message_id = column_text(stmt, 10);
  row.size = static_cast<uint64_t>(column_int(stmt, 11));
  row.check_name = column_text(stmt, 12);
  row.reasons = column_text(stmt, 13);
  row.score = column_double(stmt, 14);
  row.response = column_text(stmt, 15);
  row.status = column_text(stmt, 16);
  row.released_at = column_int(stmt, 17);
  row.released_by = column_text(stmt, 18);
  row.queue_id = column_text(stmt, 19);
  return row;
}

}  // namespace

Result<void> QuarantineRows::insert(const QuarantinedRow& row, std::string_view score_text) {
  nlohmann::json recipients = row.rcpt_to;
  std::string rcpt_json = recipients.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  auto inserted =
      run(db_,
          "INSERT INTO quarantine (id, held_at, client_ip, sender_kind, sender, user_domain, "
          "identity, mail_from, rcpt_to, subject, header_message_id, size, check_name, reasons, "
          "score, response, status) VALUES (?1, ?2, ?3, ?4, ?5, lower(?6), ?7, ?8, ?9, ?10, ?11, "
          "?12, ?13, ?14, CAST(?15 AS DOUBLE PRECISION), ?16, 'held')",
          {row.id, row.held_at, row.client_ip, row.sender_kind, row.sender, row.user_domain,
           row.identity, row.mail_from, rcpt_json, row.subject, row.header_message_id,
           static_cast<int64_t>(row.size), row.check_name, row.reasons, score_text, row.response});
  if (!inserted) return tl::unexpected(inserted.error());
  return {};
}

Result<std::vector<QuarantinedRow>> QuarantineRows::list(const QuarantineFilter& filter) {
  std::string sql = "SELECT " + std::string(kRowColumns) + " FROM quarantine WHERE TRUE";
  std::vector<SqlValue> params;
  // Each fragment ends where its parameter goes: "?<n>" is appended, then `after`.
  auto add = [&](std::string_view fragment, SqlValue value, std::string_view after = "") {
    params.push_back(value);
    sql += std::string(fragment) + "?" + std::to_string(params.size()) + std::string(after);
  };
  if (filter.domain) add(" AND user_domain = lower(", std::string_view(*filter.domain), ")");
  if (filter.status) add(" AND status = ", std::string_view(*filter.status));
  if (filter.sender) {
    add(" AND (sender = ", std::string_view(*filter.sender), " COLLATE NOCASE");
    add(" OR mail_from = ", std::string_view(*filter.sender), " COLLATE NOCASE)");
  }
  if (filter.since) add(" AND held_at >= ", *filter.since);
  if (filter.until) add(" AND held_at < ", *filter.until);
  const std::string text_pattern = filter.text ? like_contains(*filter.text) : std::string();
  if (filter.text) {
    add(" AND lower(subject || ' ' || mail_from || ' ' || rcpt_to || ' ' || sender || ' ' || id) "
        "LIKE lower(",
        std::string_view(text_pattern), ") ESCAPE '\\'");
  }
  if (filter.visible_to) {
    // The envelope sender's domain is the text after its last '@': compared as a suffix.
    add(" AND (user_domain = lower(", std::string_view(*filter.visible_to), ")");
    add(" OR lower(substr(mail_from, length(mail_from) - length(",
        std::string_view(*filter.visible_to), ")))");
    add(" = '@' || lower(", std::string_view(*filter.visible_to), ")");
    add(" OR EXISTS (SELECT 1 FROM domain_aliases a JOIN domains d ON d.id = a.domain_id WHERE "
        "d.name = ",
        std::string_view(*filter.visible_to),
        " AND lower(substr(mail_from, length(mail_from) - length(a.alias))) = '@' || "
        "lower(a.alias)))");
  }
  if (filter.before) {
    add(" AND (held_at, id) < (", filter.before->first);
    add(", ", std::string_view(filter.before->second), ")");
  }
  add(" ORDER BY held_at DESC, id DESC LIMIT ", filter.limit);
  add(" OFFSET ", filter.offset);
  auto stmt = query(db_, sql, std::span<const SqlValue>(params));
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<QuarantinedRow> rows;
  while (true) {
    auto more = next_row(db_, stmt->get());
    if (!more) return tl::unexpected(more.error());
    if (!*more) break;
    rows.push_back(read_row(stmt->get()));
  }
  return rows;
}

Result<std::optional<QuarantinedRow>> QuarantineRows::find(std::string_view id) {
  auto stmt =
      query(db_, "SELECT " + std::string(kRowColumns) + " FROM quarantine WHERE id = ?1", {id});
  if (!stmt) return tl::unexpected(stmt.error());
  auto more = next_row(db_, stmt->get());
  if (!more) return tl::unexpected(more.error());
  if (!*more) return std::optional<QuarantinedRow>();
  return std::optional<QuarantinedRow>(read_row(stmt->get()));
}

Result<void> QuarantineRows::mark_deleted(std::string_view id) {
  auto r = run(db_, "UPDATE quarantine SET status = 'deleted' WHERE id = ?1", {id});
  if (!r) return tl::unexpected(r.error());
  return {};
}

Result<void> QuarantineRows::mark_released(std::string_view id, int64_t at, std::string_view by,
                                           std::string_view queue_id) {
  auto r = run(db_,
               "UPDATE quarantine SET status = 'released', released_at = ?2, released_by = ?3, "
               "queue_id = ?4 WHERE id = ?1",
               {id, at, by, queue_id});
  if (!r) return tl::unexpected(r.error());
  return {};
}

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
