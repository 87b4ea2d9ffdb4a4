// The policy decisions' trail (F-LOG "why was this blocked?") and the identities seen
// (`identity list`), written by the log writer's thread for policy/policy_service.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/database.hpp"
#include "util/result.hpp"

namespace pw::store {

struct DecisionRecord {
  int64_t at = 0;
  std::string stage, check, action, mode, reply, reasons;
  std::string client_ip, sender, user_domain, identity, mail_from, rcpt, message_id;
  std::string reasons_json;  // [{"rule", "text", "score"}, ...]
};

// A stored decision, as the log and the API read it.
struct DecisionRow : DecisionRecord {
  int64_t id = 0;
};

// Refused or held messages for the message log (`action` "reject" or "quarantine"), newest
// first, before the keyset cursor (before_at, before_id); "" filters match anything.
struct DecisionSearch {
  std::string action;
  int64_t since = 0, until = 0, before_at = 0, before_id = 0;
  std::string sender, recipient, domain, user, client_ip, identity;
  int64_t limit = 0;
};

// The decisions list of the CLI and the API, newest first; "" filters match anything; `domain`
// keeps a domain administrator's view to its domain.
struct DecisionFilter {
  std::string message_id, sender, identity, check, action;
  int64_t since = 0;
  int64_t limit = 0;
  std::string domain;
};

Result<void> record_decision(Database& db, const DecisionRecord& decision);
Result<std::vector<DecisionRow>> search_decisions(Database& db, const DecisionSearch& search);
Result<std::vector<DecisionRow>> list_decisions(Database& db, const DecisionFilter& filter);
// Oldest first: the trail of one message.
Result<std::vector<DecisionRow>> decisions_of_message(Database& db, std::string_view message_id);
Result<std::vector<DecisionRow>> decision_by_id(Database& db, int64_t id);
// The identity appears in `identity list` from its first message: inserted (when the user still
// exists) or its last_seen_at and message count brought up to date.
Result<void> record_identity_seen(Database& db, int64_t user_id, const std::string& identity,
                                  int64_t now, int64_t messages);

}  // namespace pw::store
