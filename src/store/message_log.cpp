// The message log: messages, recipients, their history.
// Trust: every value is bound as a parameter; filters only choose among fixed SQL fragments.
#include "store/message_log.hpp"

#include <algorithm>
#include <array>
#include <deque>
#include <limits>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "mail/name_syntax.hpp"
#include "store/statement.hpp"
#include "util/ascii_text.hpp"

namespace pw::store {
namespace {

constexpr std::array<std::pair<DeliveryStatus, std::string_view>, 6> kStatusNames = {{
    {DeliveryStatus::kQueued, "queued"},
    {DeliveryStatus::kDeferred, "deferred"},
    {DeliveryStatus::kDelivered, "delivered"},
    {DeliveryStatus::kBounced, "bounced"},
    {DeliveryStatus::kExpired, "expired"},
    {DeliveryStatus::kDeleted, "deleted"},
}};

// The main domain of an alias, or the name itself (F-ALIAS).
// A domain of its own is its own main domain even where an older database also holds it as an
// alias (issue 15, item 2): a domain admin's scope never reaches another domain through an alias.
constexpr std::string_view kMainDomain =
    "COALESCE((SELECT name FROM domains WHERE name = lower(?{0})), (SELECT d.name FROM "
    "domain_aliases a JOIN domains d ON d.id = a.domain_id WHERE a.alias = lower(?{0})), "
    "lower(?{0}))";

std::string main_domain_sql(int parameter) {
  std::string sql(kMainDomain);
  std::string index = std::to_string(parameter);
  for (size_t at = sql.find("{0}"); at != std::string::npos; at = sql.find("{0}"))
    sql.replace(at, 3, index);
  return sql;
}

// A message's status from its recipients': pending wins, then failures, then delivered.
constexpr std::string_view kUpdateMessageStatus = R"sql(
UPDATE messages SET updated_at = ?2, status = (
  SELECT CASE
    WHEN SUM(CASE WHEN status = 'deferred' THEN 1 ELSE 0 END) > 0 THEN 'deferred'
    WHEN SUM(CASE WHEN status = 'queued' THEN 1 ELSE 0 END) > 0 THEN 'queued'
    WHEN SUM(CASE WHEN status = 'bounced' THEN 1 ELSE 0 END) > 0 THEN 'bounced'
    WHEN SUM(CASE WHEN status = 'expired' THEN 1 ELSE 0 END) > 0 THEN 'expired'
    WHEN SUM(CASE WHEN status = 'delivered' THEN 1 ELSE 0 END) > 0 THEN 'delivered'
    ELSE 'deleted' END
  FROM recipients WHERE message_id = ?1)
WHERE id = ?1
)sql";

constexpr std::string_view kMessageColumns =
    "id, received_at, client_ip, helo, tls, auth_user, sender_kind, sender, user_domain, "
    "mail_from, sender_domain, size, message_id, subject, status, is_bounce, updated_at, "
    "identity";

MessageRow read_message(const Row* stmt) {
  MessageRow row;
  row.id = column_text(stmt, 0);
  row.received_at = column_int(stmt, 1);
  row.client_ip = column_text(stmt, 2);
  row.helo = column_text(stmt, 3);
  row.tls = column_int(stmt, 4) != 0;
  if (!column_is_null(stmt, 5)) row.auth_user = column_text(stmt, 5);
  row.sender_kind = column_text(stmt, 6);
  row.sender = column_text(stmt, 7);
  row.user_domain = column_text(stmt, 8);
  row.mail_from = column_text(stmt, 9);
  row.sender_domain = column_text(stmt, 10);
  row.size = static_cast<uint64_t>(column_int(stmt, 11));
  row.message_id = column_text(stmt, 12);
  row.subject = column_text(stmt, 13);
  row.status = column_text(stmt, 14);
  row.is_bounce = column_int(stmt, 15) != 0;
  row.updated_at = column_int(stmt, 16);
  row.identity = column_text(stmt, 17);
  return row;
}

}  // namespace

std::string_view to_string(DeliveryStatus status) {
  for (const auto& [value, name] : kStatusNames)
    if (value == status) return name;
  return "queued";
}

std::optional<DeliveryStatus> parse_delivery_status(std::string_view text) {
  for (const auto& [value, name] : kStatusNames)
    if (name == text) return value;
  return std::nullopt;
}

bool is_final(DeliveryStatus status) {
  return status != DeliveryStatus::kQueued && status != DeliveryStatus::kDeferred;
}

std::string address_domain(std::string_view address) {
  size_t at = address.rfind('@');
  if (at == std::string_view::npos) return "";
  return util::ascii_lowercase(address.substr(at + 1));
}

Result<void> MessageLog::record_received(const ReceivedMessage& m) {
  const int64_t now = unix_now();
  std::string insert =
      "INSERT INTO messages (id, received_at, client_ip, helo, tls, "
      "auth_user, sender_kind, sender, user_domain, mail_from, sender_domain, "
      "size, message_id, subject, status, is_bounce, updated_at, identity) VALUES (?1, ?2, "
      "?3, ?4, ?5, ?6, ?7, ?8, " +
      main_domain_sql(9) + ", ?10, " + main_domain_sql(11) +
      ", ?12, ?13, ?14, 'queued', ?15, ?16, ?17) ON CONFLICT DO NOTHING";
  std::string sender_domain = address_domain(m.mail_from);
  auto r = run(
      db_, insert,
      {m.id, m.received_at, m.client_ip, m.helo, int64_t{m.tls},
       m.auth_user ? SqlValue(std::string_view(*m.auth_user)) : SqlValue(nullptr), m.sender_kind,
       m.sender, m.user_domain, m.mail_from, sender_domain, static_cast<int64_t>(m.size),
       m.message_id, m.subject, int64_t{m.is_bounce}, now, m.identity});
  if (!r) return tl::unexpected(r.error());
  if (*r == 0) return {};  // already logged (a recovery that re-ingests a spool file)
  std::string rcpt_insert =
      "INSERT INTO recipients (message_id, rcpt, rcpt_domain, status, attempts, "
      "next_attempt_at, updated_at) VALUES (?1, ?2, " +
      main_domain_sql(3) + ", 'queued', 0, ?4, ?4) ON CONFLICT DO NOTHING";
  for (const auto& rcpt : m.recipients) {
    std::string domain = address_domain(rcpt);
    if (auto x = run(db_, rcpt_insert, {m.id, rcpt, domain, now}); !x)
      return tl::unexpected(x.error());
  }
  return record_event(m.id, "", "received", m.client_ip,
                      m.auth_user ? "auth=" + *m.auth_user : "sender=" + m.sender);
}

Result<void> MessageLog::record_recipient(const RecipientUpdate& u) {
  const int64_t now = unix_now();
  auto r = run(db_,
               "UPDATE recipients SET status = ?3, attempts = ?4, next_attempt_at = ?5, "
               "last_reply = ?6, remote_host = ?7, updated_at = ?8 "
               "WHERE message_id = ?1 AND rcpt = ?2",
               {u.message_id, u.rcpt, to_string(u.status), u.attempts, u.next_attempt_at, u.reply,
                u.remote_host, now});
  if (!r) return tl::unexpected(r.error());
  if (auto s = run(db_, kUpdateMessageStatus, {u.message_id, now}); !s)
    return tl::unexpected(s.error());
  std::string event = u.event.empty() ? std::string(to_string(u.status)) : u.event;
  return record_event(u.message_id, u.rcpt, event, u.remote_host, u.reply);
}

Result<void> MessageLog::record_event(std::string_view message_id, std::string_view rcpt,
                                      std::string_view event, std::string_view remote,
                                      std::string_view detail) {
  auto r = run(db_,
               "INSERT INTO message_events (message_id, rcpt, at, event, remote, detail) "
               "SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM messages WHERE id = ?1)",
               {message_id, rcpt, unix_now(), event, remote, detail});
  if (!r) return tl::unexpected(r.error());
  return {};
}

Result<bool> MessageLog::known(std::string_view message_id) {
  auto stmt = query(db_, "SELECT 1 FROM messages WHERE id = ?1", {message_id});
  if (!stmt) return tl::unexpected(stmt.error());
  return next_row(db_, stmt->get());
}

// The order recipients were given in (RCPT order): SQLite's rowid, PostgreSQL's seq column.
std::string_view MessageLog::rcpt_order() {
  return db_.connection().engine() == "postgresql" ? "seq" : "rowid";
}

Result<void> MessageLog::load_recipients(MessageRow& row) {
  const std::string sql =
      "SELECT rcpt, rcpt_domain, status, attempts, next_attempt_at, last_reply, remote_host, "
      "updated_at FROM recipients WHERE message_id = ?1 ORDER BY " +
      std::string(rcpt_order());
  auto stmt = query(db_, sql, {row.id});
  if (!stmt) return tl::unexpected(stmt.error());
  for (;;) {
    auto more = next_row(db_, stmt->get());
    if (!more) return tl::unexpected(more.error());
    if (!*more) break;
    RecipientRow r;
    r.rcpt = column_text(stmt->get(), 0);
    r.rcpt_domain = column_text(stmt->get(), 1);
    r.status = parse_delivery_status(column_text(stmt->get(), 2)).value_or(DeliveryStatus::kQueued);
    r.attempts = column_int(stmt->get(), 3);
    r.next_attempt_at = column_int(stmt->get(), 4);
    r.last_reply = column_text(stmt->get(), 5);
    r.remote_host = column_text(stmt->get(), 6);
    r.updated_at = column_int(stmt->get(), 7);
    row.recipients.push_back(std::move(r));
  }
  return {};
}

namespace {

// The values bound to a statement as it is written: each bind returns its "?N".
class SqlParams {
 public:
  std::string text(const std::string& value) {
    texts_.push_back(value);
    params_.emplace_back(std::string_view(texts_.back()));
    return "?" + std::to_string(params_.size());
  }
  std::string integer(int64_t value) {
    params_.emplace_back(value);
    return "?" + std::to_string(params_.size());
  }
  std::span<const SqlValue> all() const { return params_; }

 private:
  std::deque<std::string> texts_;  // owns the bound strings; a deque never moves them
  std::vector<SqlValue> params_;
};

// Every condition of a search but the domain's, each starting with " AND".
std::string search_conditions(const SearchFilter& f, SqlParams& p) {
  std::string where;
  if (f.sender) where += " AND mail_from = " + p.text(*f.sender) + " COLLATE NOCASE";
  if (f.recipient)
    where += " AND id IN (SELECT message_id FROM recipients WHERE rcpt = " + p.text(*f.recipient) +
             " COLLATE NOCASE)";
  if (f.user) {
    std::string user = p.text(*f.user);
    where +=
        " AND (sender = " + user + " COLLATE NOCASE OR auth_user = " + user + " COLLATE NOCASE)";
  }
  if (f.client_ip) where += " AND client_ip = " + p.text(*f.client_ip);
  if (f.identity) where += " AND identity = " + p.text(*f.identity);
  if (f.status) where += " AND status = " + p.text(*f.status);
  if (f.since) where += " AND received_at >= " + p.integer(*f.since);
  // One upper bound on received_at, the tighter of `until` and the cursor, so the index range
  // starts where the page does (two bounds would leave SQLite to pick one).
  std::optional<int64_t> upper;
  if (f.until) upper = *f.until - 1;
  if (f.before) upper = upper ? std::min(*upper, f.before->first) : f.before->first;
  if (upper) where += " AND received_at <= " + p.integer(*upper);
  if (f.before)  // the row value breaks ties in time by id
    where += " AND (received_at, id) < (" + p.integer(f.before->first) + ", " +
             p.text(f.before->second) + ")";
  return where;
}

// Each index ends in (received_at, id): read backwards it yields a page in order and stops after
// it. The planner is told which one, since without statistics (no ANALYZE on a gateway's
// database) it may pick a shorter index and sort every match. A recipient filter is left to the
// planner: it may start from the recipients' index instead.
// PostgreSQL takes no hint: it keeps statistics of its own (ANALYZE) and plans with them.
std::string search_index(const SearchFilter& f, std::string_view domain_column,
                         std::string_view engine) {
  if (f.recipient || engine != "sqlite") return "";
  std::string name = domain_column.empty() ? "messages" : "messages_" + std::string(domain_column);
  if (f.status) name += "_status";
  if (domain_column.empty() && !f.status) name = "messages_received";
  return " INDEXED BY " + name;
}

constexpr std::string_view kNewestFirst = " ORDER BY received_at DESC, id DESC";

}  // namespace

Result<std::vector<MessageRow>> MessageLog::search(const SearchFilter& f) {
  SqlParams p;
  const std::string where = search_conditions(f, p);
  const std::string order(kNewestFirst);
  const std::string columns(kMessageColumns);
  const std::string_view engine = db_.connection().engine();
  std::string sql;
  if (f.domain) {
    // "The user's domain or the sending domain": one branch per indexed column, each reading its
    // index newest first and stopping after limit + offset rows, then merged. A single OR over
    // both columns would have to sort every message of the domain first.
    auto main = main_domain(*f.domain);
    if (!main) return tl::unexpected(main.error());
    std::string domain = p.text(*main);
    std::string branch_limit = p.integer(f.limit + f.offset);
    sql = "SELECT " + columns + " FROM (SELECT " + columns + " FROM messages" +
          search_index(f, "sender_domain", engine) + " WHERE sender_domain = " + domain + where +
          order + " LIMIT " + branch_limit + ") AS by_sender UNION SELECT " + columns +
          " FROM (SELECT " + columns + " FROM messages" + search_index(f, "user_domain", engine) +
          " WHERE user_domain = " + domain + where + order + " LIMIT " + branch_limit +
          ") AS by_user";
  } else {
    sql = "SELECT " + columns + " FROM messages" + search_index(f, "", engine) + " WHERE TRUE" +
          where;
  }
  sql += order + " LIMIT " + p.integer(f.limit) + " OFFSET " + p.integer(f.offset);
  auto stmt = query(db_, sql, p.all());
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<MessageRow> rows;
  for (;;) {
    auto more = next_row(db_, stmt->get());
    if (!more) return tl::unexpected(more.error());
    if (!*more) break;
    rows.push_back(read_message(stmt->get()));
  }
  for (auto& row : rows)
    if (auto r = load_recipients(row); !r) return tl::unexpected(r.error());
  return rows;
}

Result<std::string> MessageLog::main_domain(std::string_view domain) {
  auto stmt = query(db_, "SELECT " + main_domain_sql(1), {domain});
  if (!stmt) return tl::unexpected(stmt.error());
  auto more = next_row(db_, stmt->get());
  if (!more) return tl::unexpected(more.error());
  return *more ? column_text(stmt->get(), 0) : std::string(domain);
}

Result<std::optional<MessageRow>> MessageLog::find(std::string_view message_id) {
  auto stmt = query(db_, "SELECT " + std::string(kMessageColumns) + " FROM messages WHERE id = ?1",
                    {message_id});
  if (!stmt) return tl::unexpected(stmt.error());
  auto more = next_row(db_, stmt->get());
  if (!more) return tl::unexpected(more.error());
  if (!*more) return std::optional<MessageRow>();
  MessageRow row = read_message(stmt->get());
  if (auto r = load_recipients(row); !r) return tl::unexpected(r.error());
  return std::optional<MessageRow>(std::move(row));
}

Result<std::vector<EventRow>> MessageLog::events(std::string_view message_id) {
  auto stmt = query(db_,
                    "SELECT at, rcpt, event, remote, detail FROM message_events "
                    "WHERE message_id = ?1 ORDER BY id",
                    {message_id});
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<EventRow> rows;
  for (;;) {
    auto more = next_row(db_, stmt->get());
    if (!more) return tl::unexpected(more.error());
    if (!*more) break;
    rows.push_back({column_int(stmt->get(), 0), column_text(stmt->get(), 1),
                    column_text(stmt->get(), 2), column_text(stmt->get(), 3),
                    column_text(stmt->get(), 4)});
  }
  return rows;
}

Result<std::vector<MessageRow>> MessageLog::pending(int64_t limit) {
  auto stmt = query(db_,
                    "SELECT " + std::string(kMessageColumns) +
                        " FROM messages WHERE id IN (SELECT message_id FROM recipients WHERE "
                        "status IN ('queued', 'deferred')) ORDER BY received_at, id LIMIT ?1",
                    // "No limit": SQLite reads a negative LIMIT so, PostgreSQL refuses it.
                    {limit < 0 ? std::numeric_limits<int64_t>::max() : limit});
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<MessageRow> rows;
  std::unordered_map<std::string, size_t> index;
  for (;;) {
    auto more = next_row(db_, stmt->get());
    if (!more) return tl::unexpected(more.error());
    if (!*more) break;
    rows.push_back(read_message(stmt->get()));
    index.emplace(rows.back().id, rows.size() - 1);
  }
  // All their recipients in one pass: a restart with 100,000 queued messages must not cost
  // 100,000 queries.
  const std::string sql =
      "SELECT message_id, rcpt, rcpt_domain, status, attempts, next_attempt_at, last_reply, "
      "remote_host, updated_at FROM recipients WHERE message_id IN (SELECT message_id FROM "
      "recipients WHERE status IN ('queued', 'deferred')) ORDER BY message_id, " +
      std::string(rcpt_order());
  auto recipients = query(db_, sql);
  if (!recipients) return tl::unexpected(recipients.error());
  for (;;) {
    auto more = next_row(db_, recipients->get());
    if (!more) return tl::unexpected(more.error());
    if (!*more) break;
    auto* r = recipients->get();
    auto it = index.find(column_text(r, 0));
    if (it == index.end()) continue;  // beyond the limit
    RecipientRow row;
    row.rcpt = column_text(r, 1);
    row.rcpt_domain = column_text(r, 2);
    row.status = parse_delivery_status(column_text(r, 3)).value_or(DeliveryStatus::kQueued);
    row.attempts = column_int(r, 4);
    row.next_attempt_at = column_int(r, 5);
    row.last_reply = column_text(r, 6);
    row.remote_host = column_text(r, 7);
    row.updated_at = column_int(r, 8);
    rows[it->second].recipients.push_back(std::move(row));
  }
  return rows;
}

nlohmann::json to_json(const MessageRow& row) {
  nlohmann::json recipients = nlohmann::json::array();
  for (const auto& r : row.recipients)
    recipients.push_back({{"rcpt", r.rcpt},
                          {"rcpt_domain", r.rcpt_domain},
                          {"status", to_string(r.status)},
                          {"attempts", r.attempts},
                          {"next_attempt_at", r.next_attempt_at},
                          {"last_reply", r.last_reply},
                          {"remote_host", r.remote_host},
                          {"updated_at", r.updated_at}});
  return {{"id", row.id},
          {"received_at", row.received_at},
          {"client_ip", row.client_ip},
          {"identity", row.identity},
          {"helo", row.helo},
          {"tls", row.tls},
          {"auth_user", row.auth_user ? nlohmann::json(*row.auth_user) : nlohmann::json()},
          {"sender_kind", row.sender_kind},
          {"sender", row.sender},
          {"user_domain", row.user_domain},
          {"mail_from", row.mail_from},
          {"sender_domain", row.sender_domain},
          {"size", row.size},
          {"message_id", row.message_id},
          {"subject", row.subject},
          {"status", row.status},
          {"is_bounce", row.is_bounce},
          {"updated_at", row.updated_at},
          {"recipients", recipients}};
}

nlohmann::json to_json(const EventRow& row) {
  return {{"at", row.at},
          {"rcpt", row.rcpt},
          {"event", row.event},
          {"remote", row.remote},
          {"detail", row.detail}};
}

Result<int64_t> MessageLog::make_deferred_due(std::string_view message_id) {
  if (message_id.empty())
    return run(db_, "UPDATE recipients SET next_attempt_at = 0 WHERE status = 'deferred'");
  return run(db_,
             "UPDATE recipients SET next_attempt_at = 0 WHERE status = 'deferred' AND "
             "message_id = ?1",
             {message_id});
}

}  // namespace pw::store
