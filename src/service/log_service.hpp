// Log search and a message's decision trail for the CLI and the REST API (F-LOG, F-PANEL): every
// message, filtered and paged newest first by a keyset cursor, and "why was this blocked?" as the
// policy's decisions with their reasons. A domain admin sees the messages of its domain's users
// and those sent from its domain (F-LOG), nothing else (403, or filtered lists).
// Blocking (SQLite): call from a worker thread.
#pragma once
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "service/actor.hpp"
#include "service/outcome.hpp"
#include "service/paging.hpp"
#include "store/database.hpp"
#include "store/message_log.hpp"

namespace pw::service {

// The most rows one search returns (the CLI's --limit bound; the API pages at kMaxPageSize).
inline constexpr int64_t kMaxSearchRows = 100000;

// One reason of a decision: the rule and its text, and what the text measured where it says so
// ("41 messages in the last hour (limit 40)": counter 41, limit 40; a spam score and threshold).
struct DecisionReason {
  std::string rule;
  std::string text;
  std::optional<double> counter;
  std::optional<double> limit;
  std::optional<double> score;
};

// One row of the `decisions` table.
struct Decision {
  int64_t id = 0;
  int64_t at = 0;
  std::string message_id, stage, check, action, mode, reply, reasons_text, client_ip, sender,
      user_domain, identity, mail_from, rcpt;
  std::vector<DecisionReason> reasons;
};

// "rule: text; rule: text" (the decisions' reasons column) or the JSON the gateway writes beside
// it, as reasons with what they measured.
std::vector<DecisionReason> parse_reasons(std::string_view reasons_json,
                                          std::string_view reasons_text);

struct DecisionQuery {
  std::string message_id, sender, identity, check, action;  // "" = any
  int64_t since = 0;
  int64_t limit = 100;
};
// Newest first; a domain admin gets only its domain's decisions.
Outcome<std::vector<Decision>> list_decisions(const Actor& actor, store::Database& db,
                                              const DecisionQuery& query);
// Oldest first: the trail of one message (queue or quarantine id), unchecked (callers check the
// message).
Outcome<std::vector<Decision>> decisions_of(store::Database& db, const std::string& message_id);

struct LogPage {
  std::vector<store::MessageRow> items;
  std::optional<Cursor> next;  // null on the last page
};
// 400 unless `status` is one a message can have (queued, deferred, delivered, bounced, expired,
// deleted), or rejected / quarantined: mail the policy refused or held, which was never queued
// and is searched through the decision that stopped it.
Outcome<void> check_log_status(const std::optional<std::string>& status);
// The decision action a refused/held status stands for ("rejected" -> "reject"); nullopt else.
std::optional<std::string_view> decision_action_of(std::string_view status);
// Checks the status and limit, limits a domain admin to its domain (403 for another one).
Outcome<LogPage> search_log(const Actor& actor, store::Database& db, store::SearchFilter filter);

struct LogDetail {
  store::MessageRow message;
  std::vector<store::EventRow> events;
  std::vector<Decision> decisions;
};
// 404 "no message ID" when unknown; 403 for another domain's message.
Outcome<LogDetail> show_log_message(const Actor& actor, store::Database& db, const std::string& id);

nlohmann::json decision_json(const Decision& decision);
nlohmann::json log_item_json(const store::MessageRow& row);
nlohmann::json log_detail_json(const LogDetail& detail);

}  // namespace pw::service
