// Decisions and identities (see the header).
#include "store/decision_log.hpp"

#include "store/statement.hpp"

namespace pw::store {
namespace {

constexpr std::string_view kDecisionColumns =
    "id, at, message_id, stage, check_name, action, mode, reply, reasons, client_ip, sender, "
    "user_domain, identity, mail_from, rcpt, reasons_json";

DecisionRow read_decision(const Row* stmt) {
  auto text = [&](int c) { return column_text(stmt, c); };
  DecisionRow d;
  d.id = column_int(stmt, 0);
  d.at = column_int(stmt, 1);
  d.message_id = text(2);
  d.stage = text(3);
  d.check = text(4);
  d.action = text(5);
  d.mode = text(6);
  d.reply = text(7);
  d.reasons = text(8);
  d.client_ip = text(9);
  d.sender = text(10);
  d.user_domain = text(11);
  d.identity = text(12);
  d.mail_from = text(13);
  d.rcpt = text(14);
  d.reasons_json = text(15);
  return d;
}

Result<std::vector<DecisionRow>> read_decisions(Database& db, Result<StatementPtr> stmt) {
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<DecisionRow> out;
  for (;;) {
    auto row = next_row(db, stmt->get());
    if (!row) return tl::unexpected(row.error());
    if (!*row) return out;
    out.push_back(read_decision(stmt->get()));
  }
}

}  // namespace

Result<std::vector<DecisionRow>> search_decisions(Database& db, const DecisionSearch& f) {
  return read_decisions(
      db,
      query(db,
            "SELECT " + std::string(kDecisionColumns) +
                " FROM decisions INDEXED BY decisions_action WHERE action = ?1 AND at >= ?2 AND "
                "at < ?3 AND (at < ?4 OR (at = ?4 AND id < ?5)) AND (?6 = '' OR mail_from = ?6 "
                "COLLATE NOCASE) AND (?7 = '' OR rcpt = ?7 COLLATE NOCASE) AND (?8 = '' OR "
                "user_domain = ?8 COLLATE NOCASE OR lower(substr(mail_from, length(mail_from) - "
                "length(?8))) = '@' || lower(?8)) AND (?9 = '' OR sender = ?9 COLLATE NOCASE) AND "
                "(?10 = '' OR "
                "client_ip = ?10) AND (?11 = '' OR identity = ?11) ORDER BY at DESC, id DESC "
                "LIMIT ?12",
            {f.action, f.since, f.until, f.before_at, f.before_id, f.sender, f.recipient, f.domain,
             f.user, f.client_ip, f.identity, f.limit}));
}

Result<std::vector<DecisionRow>> list_decisions(Database& db, const DecisionFilter& q) {
  return read_decisions(
      db,
      query(db,
            "SELECT " + std::string(kDecisionColumns) +
                " FROM decisions WHERE (?1 = '' OR message_id = ?1) AND (?2 = '' OR sender = "
                "?2 COLLATE NOCASE OR mail_from = ?2 COLLATE NOCASE) AND (?3 = '' OR "
                "identity = ?3) AND (?4 = '' OR check_name = ?4) AND (?5 = '' OR action = ?5) "
                "AND at >= ?6 AND (?8 = '' OR user_domain = ?8 COLLATE NOCASE OR "
                "lower(substr(mail_from, length(mail_from) - length(?8))) = '@' || lower(?8)) "
                "ORDER BY id DESC LIMIT ?7",
            {q.message_id, q.sender, q.identity, q.check, q.action, q.since, q.limit, q.domain}));
}

Result<std::vector<DecisionRow>> decisions_of_message(Database& db, std::string_view message_id) {
  return read_decisions(db, query(db,
                                  "SELECT " + std::string(kDecisionColumns) +
                                      " FROM decisions WHERE message_id = ?1 ORDER BY id",
                                  {message_id}));
}

Result<std::vector<DecisionRow>> decision_by_id(Database& db, int64_t id) {
  return read_decisions(
      db,
      query(db, "SELECT " + std::string(kDecisionColumns) + " FROM decisions WHERE id = ?1", {id}));
}

Result<void> record_decision(Database& db, const DecisionRecord& d) {
  auto r = run(db,
               "INSERT INTO decisions(at, stage, check_name, action, mode, reply, reasons, "
               "client_ip, sender, user_domain, identity, mail_from, rcpt, message_id, "
               "reasons_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
               "?14, ?15)",
               {d.at, d.stage, d.check, d.action, d.mode, d.reply, d.reasons, d.client_ip, d.sender,
                d.user_domain, d.identity, d.mail_from, d.rcpt, d.message_id, d.reasons_json});
  if (!r) return tl::unexpected(r.error());
  return {};
}

Result<void> record_identity_seen(Database& db, int64_t user_id, const std::string& identity,
                                  int64_t now, int64_t messages) {
  auto r = run(db,
               "INSERT INTO identities(user_id, identity, created_at, last_seen_at, messages) "
               "SELECT ?1, ?2, ?3, ?3, ?4 WHERE EXISTS (SELECT 1 FROM users WHERE id = ?1) ON "
               "CONFLICT(user_id, identity) DO UPDATE SET last_seen_at = excluded.last_seen_at, "
               "messages = messages + ?4",
               {user_id, identity, now, messages});
  if (!r) return tl::unexpected(r.error());
  return {};
}

}  // namespace pw::store
