// The rows of the quarantine (F-QRESP, F-RELEASE): one `quarantine` row per held message.
// quarantine/quarantine_store keeps the held files and decides; this file only reads and writes
// the rows.
// Trust: filter values come from admins and are bound, never spliced.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/database.hpp"
#include "util/result.hpp"

namespace pw::store {

// One row of the `quarantine` table.
struct QuarantinedRow {
  std::string id;
  int64_t held_at = 0;  // unix seconds
  std::string client_ip;
  std::string sender_kind;  // "ip", "user", "domain"
  std::string sender;       // the outgoing user
  std::string user_domain;
  std::string identity;
  std::string mail_from;
  std::vector<std::string> rcpt_to;
  std::string subject;
  std::string header_message_id;
  uint64_t size = 0;
  std::string check_name;
  std::string reasons;  // Verdict::reasons_text()
  double score = 0;
  std::string response;  // "rejected" or "accepted"
  std::string status;    // "held", "released", "deleted"
  int64_t released_at = 0;
  std::string released_by;
  std::string queue_id;  // the queue id the release got
};

struct QuarantineFilter {
  std::optional<std::string> domain;  // the user's domain (case-insensitive)
  std::optional<std::string> status;  // "held", "released", "deleted"
  std::optional<std::string> sender;  // the outgoing user or the envelope sender
  std::optional<int64_t> since;       // held_at >= since
  std::optional<int64_t> until;       // held_at < until
  int64_t limit = 100;
  int64_t offset = 0;
  // Words to find in the subject, envelope sender, recipients, user or id (any ASCII case).
  std::optional<std::string> text;
  // F-PANEL: only messages whose user is of this (main) domain or whose envelope sender is of it
  // or one of its aliases.
  std::optional<std::string> visible_to;
  // Keyset pagination: only messages with (held_at, id) < before, newest first.
  std::optional<std::pair<int64_t, std::string>> before;
};

class QuarantineRows {
 public:
  explicit QuarantineRows(Database& db) : db_(db) {}

  // A new "held" row; `score_text` is the score as text (stored as a number).
  Result<void> insert(const QuarantinedRow& row, std::string_view score_text);
  // Newest first; the filter's values are checked by the caller.
  Result<std::vector<QuarantinedRow>> list(const QuarantineFilter& filter);
  Result<std::optional<QuarantinedRow>> find(std::string_view id);
  Result<void> mark_deleted(std::string_view id);
  Result<void> mark_released(std::string_view id, int64_t at, std::string_view by,
                             std::string_view queue_id);

 private:
  Database& db_;
};

// What the quarantine kept of a held message that its decisions do not keep.
struct HeldMessageFacts {
  std::string subject;
  int64_t size = 0;
  std::string rcpt_to_json;  // ["a@example.com", ...]
};

Result<std::optional<HeldMessageFacts>> held_message_facts(Database& db, std::string_view id);

}  // namespace pw::store
