// Runs the policy chain for the SMTP sessions, keeps the counters and locks (see the header).
#include "policy/policy_service.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "mail/name_syntax.hpp"
#include "policy/checks/common.hpp"
#include "policy/lock_reason.hpp"
#include "store/decision_log.hpp"
#include "store/log_writer.hpp"
#include "store/message_log.hpp"
#include "store/statement.hpp"
#include "util/ascii_text.hpp"
#include "util/utc_time.hpp"

namespace pw::policy {
namespace {

// Header values we write: no CR/LF from user data, bounded.
std::string header_safe(std::string_view text, size_t max = 200) {
  std::string out;
  for (char c : text) {
    if (out.size() >= max) break;
    out += (c == '\r' || c == '\n' || c == '\0') ? ' ' : c;
  }
  return out;
}

// Longest virus name a lock reason quotes.
constexpr size_t kMaxVirusName = 100;

std::string crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    if (c != '\r') out += c;
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<PolicyService>> PolicyService::open(PolicyOptions options,
                                                           store::LogWriter& writer) {
  std::string path = (options.data_dir / "postwarden.db").string();
  auto locks_db = store::Database::open(path);
  if (!locks_db) return tl::unexpected(locks_db.error());
  auto counters_db = store::Database::open(path);
  if (!counters_db) return tl::unexpected(counters_db.error());
  std::unique_ptr<PolicyService> service(
      new PolicyService(std::move(options), writer, std::move(*locks_db), std::move(*counters_db)));
  if (auto r = service->counters_.load(service->counters_db_, store::unix_now()); !r)
    return tl::unexpected(r.error());
  return service;
}

PolicyService::PolicyService(PolicyOptions options, store::LogWriter& writer,
                             store::Database locks_db, store::Database counters_db)
    : options_(std::move(options)),
      writer_(writer),
      locks_db_(std::move(locks_db)),
      counters_db_(std::move(counters_db)),
      evidence_(options_.lock_evidence_subjects, options_.lock_message_ids),
      locks_(std::make_unique<LockBook>(locks_db_)) {}

PolicyService::~PolicyService() = default;

Result<void> PolicyService::reload(store::Database& db) {
  auto fresh = load_policy_snapshot(db, options_.new_domain_max_age_s);
  if (!fresh) return tl::unexpected(fresh.error());
  auto methods = std::make_shared<std::map<std::string, IdentityMethod>>();
  for (const auto& [name, settings] : (*fresh)->users) {
    auto method = make_identity_method(settings.identification_method, settings.identity_headers);
    if (!method) {
      spdlog::error("event=identity_method_invalid user={} error=\"{}\"", name,
                    method.error().message);
      continue;
    }
    methods->emplace(name, std::move(*method));
  }
  {
    std::lock_guard lock(methods_mutex_);
    methods_ = std::move(methods);
  }
  snapshot_.store(*fresh);
  // Counter resets of the CLI and the API (issue 15, item 12). Reloads run one at a time.
  if (auto applied = counters_.apply_requested_resets(db); !applied)
    spdlog::error("event=counter_resets_failed error=\"{}\"", applied.error().message);
  else if (*applied > 0)
    spdlog::info("event=counters_reset requests={}", *applied);
  return locks_->reload();
}

IdentityMethod PolicyService::identity_method(const std::string& user_name) const {
  std::lock_guard lock(methods_mutex_);
  if (methods_) {
    auto it = methods_->find(util::ascii_lowercase(user_name));
    if (it != methods_->end()) return it->second;
  }
  auto fallback = make_identity_method("auth_user", "");
  return fallback ? *fallback : IdentityMethod{};
}

ChainResult PolicyService::evaluate(const Transaction& t) {
  CheckContext context{counters_, *locks_};
  return chain_.run(t, context);
}

namespace {

// The reasons one by one, for the panel's decision trail (F-LOG "why was this blocked?"), with
// what a counting check measured.
std::string reasons_json(const Verdict& v) {
  nlohmann::json reasons = nlohmann::json::array();
  for (const auto& reason : v.reasons) {
    nlohmann::json one{{"rule", reason.rule}, {"text", reason.text}, {"score", reason.score}};
    if (reason.measured) {
      const Measured& m = *reason.measured;
      if (m.counter) one["counter"] = *m.counter;
      if (m.limit) one["limit"] = *m.limit;
      if (m.score) one["measured_score"] = *m.score;
    }
    reasons.push_back(std::move(one));
  }
  return reasons.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

void PolicyService::record_decisions(const Transaction& t, const ChainResult& result,
                                     const std::string& message_id) {
  for (const auto& v : result.decisions) {
    std::string action =
        v.monitor ? "would_" + std::string(to_string(v.action)) : std::string(to_string(v.action));
    if (v.passed() && v.spam) action = "spam_passed";
    if (v.passed() && v.unsure && !v.spam) action = "unsure";
    spdlog::info(
        "event=policy stage={} check={} action={} client={} sender={} identity={} from=<{}> "
        "reply=\"{}\" reasons=\"{}\"",
        to_string(t.stage), v.check, action, t.client_ip, t.sender.name,
        t.identity.empty() ? "-" : t.identity, t.mail_from, v.reply(), v.reasons_text());
    std::string rcpt = t.stage == Stage::kRcpt ? t.rcpt : "";
    store::DecisionRecord record{t.now,
                                 std::string(to_string(t.stage)),
                                 v.check,
                                 action,
                                 v.monitor ? "monitor" : "enforce",
                                 v.reply(),
                                 v.reasons_text(),
                                 t.client_ip,
                                 t.sender.name,
                                 t.sender.domain,
                                 t.identity,
                                 t.mail_from,
                                 rcpt,
                                 message_id,
                                 reasons_json(v)};
    writer_.submit([record = std::move(record)](store::MessageLog& l) -> Result<void> {
      return store::record_decision(l.database(), record);
    });
  }
}

void PolicyService::count_connection(const Transaction& t) {
  counters_.add(t.user_subject(), counter::kConnections, 1, t.now);
  if (!t.identity.empty()) counters_.add(t.identity_subject(), counter::kConnections, 1, t.now);
}

void PolicyService::count_invalid_recipient(const Transaction& t, const std::string&) {
  counters_.add(t.user_subject(), counter::kInvalidRecipients, 1, t.now);
}

void PolicyService::count_delivery_failure(const std::string& user_name) {
  counters_.add(user_subject(user_name), counter::kInvalidRecipients, 1, store::unix_now());
}

void PolicyService::count_accepted(const Transaction& t) {
  auto n = static_cast<int64_t>(t.recipients.size());
  counters_.add(t.user_subject(), counter::kMessages, 1, t.now);
  counters_.add(t.user_subject(), counter::kRecipients, n, t.now);
  if (t.identity.empty()) return;
  counters_.add(t.identity_subject(), counter::kMessages, 1, t.now);
  counters_.add(t.identity_subject(), counter::kRecipients, n, t.now);
  upsert_identity(t, 1);
}

// F-SPAM: unsure mail has its own counter; it never counts towards a lock.
void PolicyService::count_unsure(const Transaction& t) {
  counters_.add(t.user_subject(), counter::kUnsure, 1, t.now);
  if (!t.identity.empty()) counters_.add(t.identity_subject(), counter::kUnsure, 1, t.now);
}

void PolicyService::count_ip_message(const Transaction& t, bool spam) {
  if (t.client_ip.empty()) return;
  counters_.add(ip_subject(t.client_ip), counter::kMessages, 1, t.now);
  if (spam) counters_.add(ip_subject(t.client_ip), counter::kSpam, 1, t.now);
}

// The identity appears in `identity list` from its first message, sent or blocked.
void PolicyService::upsert_identity(const Transaction& t, int64_t messages) {
  writer_.submit([user_id = t.sender.user_id, identity = t.identity, now = t.now,
                  messages](store::MessageLog& l) -> Result<void> {
    return store::record_identity_seen(l.database(), user_id, identity, now, messages);
  });
}

void PolicyService::count_spam(const Transaction& t, const Verdict& verdict, SpamMessage message) {
  // F-LOCK-WHY: a virus is named by its signature; other checks' reasons stay in the trail.
  if (verdict.check == "virus" && !verdict.reasons.empty())
    message.detail = "virus: " + header_safe(verdict.reasons.front().text, kMaxVirusName);
  const auto& s = *t.settings;
  const int64_t window = s.lock_window_minutes * 60;
  const bool may_lock = s.policy_mode != "monitor";  // monitor mode counts, never locks
  counters_.add(t.user_subject(), counter::kSpam, 1, t.now);
  evidence_.record(t.user_subject(), message);
  int64_t user_spam = counters_.sum(t.user_subject(), counter::kSpam, window, t.now);
  if (may_lock && s.automatic_lock && user_spam > s.lock_spam_threshold &&
      !locks_->active(t.user_subject(), t.now))
    lock(t, t.user_subject(), "user " + t.sender.name, verdict, user_spam);
  if (t.identity.empty()) return;
  upsert_identity(t, 0);
  counters_.add(t.identity_subject(), counter::kSpam, 1, t.now);
  evidence_.record(t.identity_subject(), message);
  int64_t identity_spam = counters_.sum(t.identity_subject(), counter::kSpam, window, t.now);
  if (may_lock && s.lock_identities && identity_spam > s.lock_spam_threshold &&
      !locks_->active(t.identity_subject(), t.now))
    lock(t, t.identity_subject(), "identity " + t.identity, verdict, identity_spam);
}

std::string PolicyService::abuse_contact(const Transaction& t) const {
  if (t.snapshot && !t.snapshot->abuse_contact.empty()) return t.snapshot->abuse_contact;
  return options_.abuse_contact;
}

// F-LOCK-WHY: the reason names the messages (ids, checks), never the checks' detailed reasons.
void PolicyService::lock(const Transaction& t, const std::string& subject, const std::string& who,
                         const Verdict& verdict, int64_t spam_count) {
  const auto& s = *t.settings;
  LockEvidence evidence{
      spam_count, s.lock_window_minutes, s.lock_spam_threshold, verdict.check, {}};
  const auto named =
      std::min<int64_t>(s.lock_spam_threshold + 1, static_cast<int64_t>(options_.lock_message_ids));
  evidence.messages = evidence_.recent(subject, t.now - s.lock_window_minutes * 60,
                                       static_cast<size_t>(std::max<int64_t>(named, 1)));
  std::string reason = lock_reason(evidence);
  auto locked = locks_->lock_automatically(subject, reason, t.now, s.lock_timeout_minutes * 60,
                                           s.max_unlocks_by_timeout);
  if (!locked) {
    spdlog::error("event=lock_failed subject={} error=\"{}\"", subject, locked.error().message);
    return;
  }
  spdlog::info("event=locked subject={} automatic_unlocks={} until=\"{}\" reason=\"{}\"", subject,
               locked->automatic_unlocks,
               locked->unlock_at ? checks::utc_time(locked->unlock_at)
                                 : std::string("an administrator unlocks it"),
               reason);
  mail_lock_notices(t, subject, who, reason, lock_messages(evidence), *locked);
}

// The lock template to the sender, a notice to the domain's administrator.
void PolicyService::mail_lock_notices(const Transaction& t, const std::string& subject,
                                      const std::string& who, const std::string& reason,
                                      const std::string& messages, const LockState& locked) {
  const auto& s = *t.settings;
  std::string until = locked.unlock_at ? checks::utc_time(locked.unlock_at)
                                       : std::string("an administrator unlocks it");
  std::string contact = checks::contact(t);
  std::map<std::string, std::string> values = {
      {"user", t.sender.name},
      {"identity", t.identity.empty() ? "none" : t.identity},
      {"domain", t.sender.domain},
      {"reason", reason},
      {"messages", messages},
      {"time", checks::utc_time(t.now)},
      {"unlock_at", locked.unlock_at ? "The lock lifts by itself at " + until + "."
                                     : "Only an administrator can unlock it."},
      {"contact", contact}};
  Template tpl = t.snapshot ? t.snapshot->lock_template(s.lock_template) : default_lock_template();
  // The sender hears of it: the user's own address, else the envelope sender of the message.
  std::string to = t.sender.kind == mail::SenderKind::kUser ? t.sender.name : t.mail_from;
  if (!to.empty())
    send_mail(
        mail::Origin::kLock, t.sender.domain, to,
        fmt::format("Subject: {}\r\n\r\n{}", header_safe(render_template(tpl.subject, values)),
                    crlf(render_template(tpl.body, values))));
  std::string admin =
      t.domain && !t.domain->admin_contact.empty() ? t.domain->admin_contact : abuse_contact(t);
  if (!options_.notify_admin_on_lock || admin.empty()) return;
  const bool user = subject.starts_with("user:");
  send_mail(
      mail::Origin::kLock, t.sender.domain, admin,
      fmt::format(
          "Subject: {}\r\n\r\n{}", header_safe(fmt::format("postwarden: {} locked", who)),
          crlf(fmt::format("{} of domain {} was locked at {}.\n\nReason: {}\n\n"
                           "Messages:\n{}\nClient IP: {}\nEnvelope sender: {}\n"
                           "Until: {}\n\nUnlock: postwarden {} unlock {}\n",
                           who, t.sender.domain, checks::utc_time(t.now), reason, messages,
                           t.client_ip, t.mail_from, until, user ? "user" : "identity",
                           user ? t.sender.name : "--user " + t.sender.name + " " + t.identity))));
}

// `message` starts with "Subject: ...\r\n\r\n" for notices; the rest of the header is ours.
void PolicyService::send_mail(mail::Origin kind, const std::string& domain, const std::string& to,
                              const std::string& message) {
  if (!outbox_) {
    spdlog::error("event=notice_not_sent kind={} to=<{}> error=\"no queue\"", mail::to_string(kind),
                  to);
    return;
  }
  std::string full = message;
  if (kind != mail::Origin::kArf) {
    auto id = outbox_->new_id();
    full = fmt::format(
        "From: postwarden <postmaster@{}>\r\nTo: <{}>\r\nDate: {}\r\nMessage-ID: {}\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\nAuto-Submitted: auto-generated\r\n{}",
        options_.hostname, header_safe(to), util::rfc5322_date(store::unix_now()),
        mail::generated_message_id(id, options_.hostname), message);
  }
  mail::GeneratedMail mail;
  mail.kind = kind;
  mail.sender = "postwarden";
  mail.domain = domain;
  mail.mail_from = "";  // the null sender: a notice never causes a bounce loop
  mail.rcpt_to = {to};
  mail.message = std::move(full);
  auto sent = outbox_->send(mail);
  if (!sent)
    spdlog::error("event=notice_not_sent kind={} to=<{}> error=\"{}\"", mail::to_string(kind), to,
                  sent.error().message);
  else
    spdlog::info("event=notice_queued kind={} id={} to=<{}>", mail::to_string(kind), *sent, to);
}

void PolicyService::tick(int64_t now) {
  std::lock_guard lock(counters_mutex_);
  if (auto r = counters_.flush(counters_db_, now); !r)
    spdlog::error("event=counters_flush_failed error=\"{}\"", r.error().message);
}

}  // namespace pw::policy
