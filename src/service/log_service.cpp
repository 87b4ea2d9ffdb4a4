// See log_service.hpp.
#include "service/log_service.hpp"

#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>

#include "service/scope.hpp"
#include "store/decision_log.hpp"
#include "store/quarantine_rows.hpp"

namespace pw::service {
namespace {

// The id a refused message without a queue id gets in the log: this prefix and its decision's id.
const std::string kDecisionIdPrefix = "decision-";

// The number that starts at text[at] ("41", "7.5"), if one does.
std::optional<double> number_at(std::string_view text, size_t at) {
  if (at >= text.size() || text[at] < '0' || text[at] > '9') return std::nullopt;
  size_t end = at;
  while (end < text.size() && ((text[end] >= '0' && text[end] <= '9') || text[end] == '.')) ++end;
  if (text[end - 1] == '.') --end;
  return std::strtod(std::string(text.substr(at, end - at)).c_str(), nullptr);
}

std::optional<double> number_after(std::string_view text, std::string_view word) {
  size_t at = text.find(word);
  if (at == std::string_view::npos) return std::nullopt;
  return number_at(text, at + word.size());
}

std::optional<double> number_of(const nlohmann::json& item, const char* key) {
  auto it = item.find(key);
  if (it == item.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

// Rows written before the gateway stored what its checks measured (their reasons are text
// only): what the reason texts say they measured: "<counter> ... (limit <n>)", "... (threshold
// <n>)", "score <x> at or over the threshold <n>".
void measure(DecisionReason& reason) {
  const std::string_view text = reason.text;
  reason.limit = number_after(text, "(limit ");
  if (!reason.limit) reason.limit = number_after(text, "threshold ");
  if (auto score = number_after(text, "score "); score && !reason.score) reason.score = score;
  if (reason.limit && !number_after(text, "score ")) {
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] >= '0' && text[i] <= '9' && (i == 0 || text[i - 1] == ' ')) {
        reason.counter = number_at(text, i);
        break;
      }
    }
  }
}

Decision decision_of(store::DecisionRow& row) {
  Decision d;
  d.id = row.id;
  d.at = row.at;
  d.message_id = std::move(row.message_id);
  d.stage = std::move(row.stage);
  d.check = std::move(row.check);
  d.action = std::move(row.action);
  d.mode = std::move(row.mode);
  d.reply = std::move(row.reply);
  d.reasons_text = std::move(row.reasons);
  d.client_ip = std::move(row.client_ip);
  d.sender = std::move(row.sender);
  d.user_domain = std::move(row.user_domain);
  d.identity = std::move(row.identity);
  d.mail_from = std::move(row.mail_from);
  d.rcpt = std::move(row.rcpt);
  d.reasons = parse_reasons(row.reasons_json, d.reasons_text);
  return d;
}

Outcome<std::vector<Decision>> decisions_from(Result<std::vector<store::DecisionRow>> rows) {
  if (!rows) return from_error(rows.error(), Failure::Kind::kInternal);
  std::vector<Decision> out;
  for (auto& row : *rows) out.push_back(decision_of(row));
  return out;
}

// The log row of a refused or held message: it was never queued, so it has no row in
// `messages`; the decision that stopped it stands for it.
store::MessageRow row_of_decision(const Decision& d, std::string status) {
  store::MessageRow row;
  row.id = d.message_id.empty() ? kDecisionIdPrefix + std::to_string(d.id) : d.message_id;
  row.received_at = d.at;
  row.client_ip = d.client_ip;
  row.sender = d.sender;
  row.user_domain = d.user_domain;
  row.mail_from = d.mail_from;
  row.sender_domain = store::address_domain(d.mail_from);
  row.identity = d.identity;
  row.status = std::move(status);
  if (!d.rcpt.empty()) {
    store::RecipientRow rcpt;
    rcpt.rcpt = d.rcpt;
    rcpt.rcpt_domain = store::address_domain(d.rcpt);
    row.recipients.push_back(std::move(rcpt));
  }
  return row;
}

// What the quarantine kept of a held message (subject, size, recipients), for its log row; the
// decisions do not keep them. Nothing is added for a message not in the quarantine.
Outcome<void> add_held_message_facts(store::Database& db, store::MessageRow& row) {
  auto held = store::held_message_facts(db, row.id);
  if (!held) return from_error(held.error(), Failure::Kind::kInternal);
  if (!*held) return {};
  row.subject = (*held)->subject;
  row.size = static_cast<uint64_t>((*held)->size);
  auto rcpts = nlohmann::json::parse((*held)->rcpt_to_json, nullptr, false);
  if (row.recipients.empty() && rcpts.is_array()) {
    for (const auto& r : rcpts) {
      if (!r.is_string()) continue;
      store::RecipientRow rcpt;
      rcpt.rcpt = r.get<std::string>();
      rcpt.rcpt_domain = store::address_domain(rcpt.rcpt);
      row.recipients.push_back(std::move(rcpt));
    }
  }
  return {};
}

std::string status_of_action(std::string_view action) {
  if (action == "quarantine") return "quarantined";
  if (action == "reject") return "rejected";
  return std::string(action);
}

// Refused (status "rejected") or held ("quarantined") messages from the decisions, newest first,
// with the same filters and keyset cursor as the message log.
Outcome<LogPage> search_decisions(store::Database& db, const store::SearchFilter& f,
                                  std::string_view action, int64_t limit) {
  int64_t before_at = f.before ? f.before->first : std::numeric_limits<int64_t>::max();
  int64_t before_id = std::numeric_limits<int64_t>::max();
  if (f.before) {
    const std::string& id = f.before->second;
    if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos || id.size() > 18)
      return invalid("bad cursor");
    before_id = std::stoll(id);
  }
  store::DecisionSearch search{std::string(action),
                               f.since.value_or(0),
                               f.until.value_or(std::numeric_limits<int64_t>::max()),
                               before_at,
                               before_id,
                               f.sender.value_or(""),
                               f.recipient.value_or(""),
                               f.domain.value_or(""),
                               f.user.value_or(""),
                               f.client_ip.value_or(""),
                               f.identity.value_or(""),
                               limit + 1};
  auto decisions = decisions_from(store::search_decisions(db, search));
  if (!decisions) return tl::unexpected(decisions.error());
  LogPage page;
  for (const auto& d : *decisions) {
    if (static_cast<int64_t>(page.items.size()) == limit) {
      const auto& last = (*decisions)[page.items.size() - 1];
      page.next = Cursor{last.at, std::to_string(last.id)};
      break;
    }
    page.items.push_back(row_of_decision(d, status_of_action(action)));
    if (!d.message_id.empty()) {
      if (auto ok = add_held_message_facts(db, page.items.back()); !ok)
        return tl::unexpected(ok.error());
    }
  }
  return page;
}

}  // namespace

std::vector<DecisionReason> parse_reasons(std::string_view reasons_json,
                                          std::string_view reasons_text) {
  std::vector<DecisionReason> out;
  if (!reasons_json.empty()) {
    auto parsed = nlohmann::json::parse(reasons_json, nullptr, false);
    if (parsed.is_array()) {
      for (const auto& item : parsed) {
        if (!item.is_object()) continue;
        DecisionReason reason;
        reason.rule = item.value("rule", "");
        reason.text = item.value("text", "");
        // What the check measured, as it wrote it (nothing is read back out of the text).
        if (double score = item.value("score", 0.0); score != 0) reason.score = score;
        if (auto seen = number_of(item, "measured_score")) reason.score = seen;
        reason.counter = number_of(item, "counter");
        reason.limit = number_of(item, "limit");
        out.push_back(std::move(reason));
      }
      return out;
    }
  }
  size_t start = 0;
  while (start < reasons_text.size()) {
    size_t end = reasons_text.find("; ", start);
    if (end == std::string_view::npos) end = reasons_text.size();
    std::string_view part = reasons_text.substr(start, end - start);
    DecisionReason reason;
    size_t colon = part.find(": ");
    reason.rule = std::string(part.substr(0, colon));
    if (colon != std::string_view::npos) reason.text = std::string(part.substr(colon + 2));
    measure(reason);
    out.push_back(std::move(reason));
    start = end + 2;
  }
  return out;
}

Outcome<std::vector<Decision>> list_decisions(const Actor& actor, store::Database& db,
                                              const DecisionQuery& q) {
  if (q.limit < 1 || q.limit > kMaxSearchRows) return invalid("--limit is 1 to 100000");
  std::string scope;
  if (!actor.is_admin()) {
    if (actor.domain.empty()) return forbidden();
    scope = actor.domain;
  }
  return decisions_from(store::list_decisions(
      db, {q.message_id, q.sender, q.identity, q.check, q.action, q.since, q.limit, scope}));
}

Outcome<std::vector<Decision>> decisions_of(store::Database& db, const std::string& message_id) {
  if (message_id.empty()) return std::vector<Decision>();
  return decisions_from(store::decisions_of_message(db, message_id));
}

Outcome<void> check_log_status(const std::optional<std::string>& status) {
  if (status && !store::parse_delivery_status(*status) && !decision_action_of(*status))
    return invalid("bad status \"" + *status +
                   "\": use queued, deferred, delivered, bounced, expired, deleted, rejected or "
                   "quarantined");
  return {};
}

std::optional<std::string_view> decision_action_of(std::string_view status) {
  if (status == "rejected") return "reject";
  if (status == "quarantined") return "quarantine";
  return std::nullopt;
}

Outcome<LogPage> search_log(const Actor& actor, store::Database& db, store::SearchFilter filter) {
  if (auto ok = check_log_status(filter.status); !ok) return tl::unexpected(ok.error());
  if (filter.limit < 1 || filter.limit > kMaxSearchRows)
    return invalid("limit must be 1.." + std::to_string(kMaxSearchRows));
  if (filter.offset < 0) return invalid("offset must not be negative");
  auto scope = list_scope(actor, db, filter.domain);
  if (!scope) return tl::unexpected(scope.error());
  filter.domain = *scope;
  if (auto action = filter.status ? decision_action_of(*filter.status) : std::nullopt)
    return search_decisions(db, filter, *action, filter.limit);
  const int64_t limit = filter.limit;
  filter.limit = limit + 1;  // one more tells whether there is a next page
  auto rows = store::MessageLog(db).search(filter);
  if (!rows) return from_error(rows.error(), Failure::Kind::kInternal);
  LogPage page;
  page.items = std::move(*rows);
  if (static_cast<int64_t>(page.items.size()) > limit) {
    page.items.resize(static_cast<size_t>(limit));
    page.next = Cursor{page.items.back().received_at, page.items.back().id};
  }
  return page;
}

// A refused or held message: its decisions (by queue/quarantine id, or the one decision its
// "decision-N" id names) stand for the message row.
Outcome<LogDetail> show_refused_message(const Actor& actor, store::Database& db,
                                        const std::string& id) {
  Outcome<std::vector<Decision>> decisions = std::vector<Decision>();
  if (id.starts_with(kDecisionIdPrefix)) {
    std::string number = id.substr(kDecisionIdPrefix.size());
    if (!number.empty() && number.size() <= 18 &&
        number.find_first_not_of("0123456789") == std::string::npos) {
      decisions = decisions_from(store::decision_by_id(db, std::stoll(number)));
    }
  } else {
    decisions = decisions_of(db, id);
  }
  if (!decisions) return tl::unexpected(decisions.error());
  if (decisions->empty()) return not_found("no message " + id);
  const Decision& stopped = decisions->back();
  if (auto allowed = require_message_access(actor, db, stopped.user_domain, stopped.mail_from);
      !allowed)
    return tl::unexpected(as_missing(allowed.error(), "no message " + id));
  store::MessageRow row = row_of_decision(stopped, status_of_action(stopped.action));
  row.id = id;
  if (auto ok = add_held_message_facts(db, row); !ok) return tl::unexpected(ok.error());
  return LogDetail{std::move(row), {}, std::move(*decisions)};
}

Outcome<LogDetail> show_log_message(const Actor& actor, store::Database& db,
                                    const std::string& id) {
  store::MessageLog log(db);
  auto row = log.find(id);
  if (!row) return from_error(row.error(), Failure::Kind::kInternal);
  if (!*row) return show_refused_message(actor, db, id);
  if (auto allowed = require_message_access(actor, db, (*row)->user_domain, (*row)->mail_from);
      !allowed)
    return tl::unexpected(as_missing(allowed.error(), "no message " + id));
  auto events = log.events(id);
  if (!events) return from_error(events.error(), Failure::Kind::kInternal);
  auto decisions = decisions_of(db, id);
  if (!decisions) return tl::unexpected(decisions.error());
  return LogDetail{std::move(**row), std::move(*events), std::move(*decisions)};
}

nlohmann::json decision_json(const Decision& d) {
  nlohmann::json reasons = nlohmann::json::array();
  for (const auto& r : d.reasons) {
    nlohmann::json reason = {{"rule", r.rule},
                             {"text", r.text.empty() ? r.rule : r.rule + ": " + r.text}};
    if (r.counter) reason["counter"] = *r.counter;
    if (r.limit) reason["limit"] = *r.limit;
    if (r.score) reason["score"] = *r.score;
    reasons.push_back(std::move(reason));
  }
  return {{"time", iso_time(d.at)}, {"stage", d.stage}, {"check", d.check}, {"action", d.action},
          {"mode", d.mode},         {"reply", d.reply}, {"rcpt", d.rcpt},   {"reasons", reasons}};
}

// A recipient of refused or held mail has the message's status, not a delivery status.
std::string recipient_status(const store::MessageRow& row, const store::RecipientRow& r) {
  if (decision_action_of(row.status)) return row.status;
  return std::string(store::to_string(r.status));
}

nlohmann::json log_item_json(const store::MessageRow& row) {
  nlohmann::json recipients = nlohmann::json::array();
  for (const auto& r : row.recipients)
    recipients.push_back({{"address", r.rcpt}, {"status", recipient_status(row, r)}});
  nlohmann::json item = {{"id", row.id},
                         {"time", iso_time(row.received_at)},
                         {"sender", row.mail_from},
                         {"recipients", recipients},
                         {"user", row.sender},
                         {"identity", row.identity},
                         {"domain", row.user_domain},
                         {"sender_domain", row.sender_domain},
                         {"client_ip", row.client_ip},
                         {"size", row.size},
                         {"status", row.status}};
  if (!row.subject.empty()) item["subject"] = row.subject;
  return item;
}

nlohmann::json log_detail_json(const LogDetail& detail) {
  nlohmann::json out = log_item_json(detail.message);
  const auto& m = detail.message;
  out["helo"] = m.helo;
  out["tls"] = m.tls;
  out["auth_user"] = m.auth_user ? nlohmann::json(*m.auth_user) : nlohmann::json();
  out["message_id"] = m.message_id;
  nlohmann::json recipients = nlohmann::json::array();
  for (const auto& r : m.recipients) {
    nlohmann::json history = nlohmann::json::array();
    for (const auto& e : detail.events)
      if (e.rcpt == r.rcpt)
        history.push_back({{"time", iso_time(e.at)},
                           {"status", e.event},
                           {"reply", e.detail},
                           {"remote", e.remote}});
    recipients.push_back({{"address", r.rcpt},
                          {"status", recipient_status(m, r)},
                          {"attempts", r.attempts},
                          {"remote_host", r.remote_host},
                          {"last_reply", r.last_reply},
                          {"history", history}});
  }
  out["recipients"] = recipients;
  nlohmann::json events = nlohmann::json::array();
  for (const auto& e : detail.events)
    if (e.rcpt.empty())
      events.push_back({{"time", iso_time(e.at)}, {"event", e.event}, {"detail", e.detail}});
  out["events"] = events;
  nlohmann::json decisions = nlohmann::json::array();
  for (const auto& d : detail.decisions) decisions.push_back(decision_json(d));
  out["decisions"] = decisions;
  return out;
}

}  // namespace pw::service
