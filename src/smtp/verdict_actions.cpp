// Holding, reporting and archiving what the verdicts call for (see the header).
#include "smtp/verdict_actions.hpp"

#include <spdlog/spdlog.h>

#include "report/arf_report.hpp"

namespace pw::smtp {

Result<std::unique_ptr<VerdictActions>> VerdictActions::open(VerdictActionsOptions options,
                                                             policy::PolicyService& policy) {
  auto db = store::Database::open((options.data_dir / "postwarden.db").string());
  if (!db) return tl::unexpected(db.error());
  return std::unique_ptr<VerdictActions>(
      new VerdictActions(std::move(options), policy, std::move(*db)));
}

VerdictActions::VerdictActions(VerdictActionsOptions options, policy::PolicyService& policy,
                               store::Database db)
    : options_(std::move(options)),
      policy_(policy),
      db_(std::move(db)),
      quarantine_(db_, options_.data_dir),
      archive_(db_, options_.data_dir) {}

void VerdictActions::set_release_signer(quarantine::ReleaseSigner signer) {
  std::lock_guard lock(mutex_);
  quarantine_.set_release_signer(std::move(signer));
}

Result<void> VerdictActions::quarantine(const policy::Transaction& t,
                                        const mail::Envelope& envelope, std::string_view message,
                                        const policy::Verdict& verdict) {
  quarantine::HoldRequest request;
  request.envelope = envelope;
  request.identity = t.identity;
  request.verdict = verdict;
  request.response = t.settings->quarantine_response;
  request.message = message;
  {
    std::lock_guard lock(mutex_);
    if (auto held = quarantine_.hold(request); !held) return held;
  }
  spdlog::info("event=quarantined id={} sender={} identity={} check={} response={} reasons=\"{}\"",
               envelope.id, t.sender.name, t.identity.empty() ? "-" : t.identity, verdict.check,
               request.response, verdict.reasons_text());
  std::string contact = t.domain && !t.domain->admin_contact.empty() ? t.domain->admin_contact
                                                                     : policy_.abuse_contact(t);
  if (contact.empty()) {
    spdlog::warn("event=arf_not_sent id={} reason=\"no administrator contact for {}\"", envelope.id,
                 t.sender.domain);
    return {};
  }
  report::ArfRequest arf;
  arf.hostname = options_.hostname;
  arf.admin_contact = contact;
  arf.envelope = envelope;
  arf.identity = t.identity;
  arf.verdict = verdict;
  arf.quarantine_id = envelope.id;
  arf.release_command = "postwarden quarantine release " + envelope.id;
  arf.original = message;
  arf.max_attached_size = options_.arf_max_attached;
  arf.now = t.now;
  policy_.send_mail(mail::Origin::kArf, t.sender.domain, contact, report::build_arf_report(arf));
  return {};
}

Result<void> VerdictActions::archive(const mail::Envelope& envelope, std::string_view message) {
  std::lock_guard lock(mutex_);
  return archive_.archive({envelope, message});
}

void VerdictActions::tick(queue::Spool& spool, queue::MailInjector* injector) {
  std::lock_guard lock(mutex_);
  auto done = quarantine_.process_commands(spool, injector);
  if (!done) spdlog::error("event=quarantine_commands_failed error=\"{}\"", done.error().message);
}

}  // namespace pw::smtp
