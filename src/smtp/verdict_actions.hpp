// What a verdict at the end of DATA calls for besides the reply, done for the sessions: hold the
// message in quarantine and mail the ARF report to the domain's contact, keep a copy in the
// archive; and, about once a second, carry out the quarantine releases asked for by the CLI.
// policy/ decides; this acts, above the quarantine, the archive, the report and the queue.
// Thread model: every method blocks (disk sync, database) and runs on the blocking pool; one
// database connection of its own, under one mutex.
#pragma once
#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "archive/archive_store.hpp"
#include "policy/policy_service.hpp"
#include "quarantine/quarantine_store.hpp"
#include "queue/mail_injector.hpp"
#include "store/database.hpp"
#include "util/result.hpp"

namespace pw::smtp {

struct VerdictActionsOptions {
  std::filesystem::path data_dir;
  std::string hostname;
  size_t arf_max_attached = 0;  // larger originals are attached as headers only
};

class VerdictActions {
 public:
  static Result<std::unique_ptr<VerdictActions>> open(VerdictActionsOptions options,
                                                      policy::PolicyService& policy);

  // Holds the message and mails the ARF report to the domain's contact (through the policy
  // service's outbox).
  Result<void> quarantine(const policy::Transaction& t, const mail::Envelope& envelope,
                          std::string_view message, const policy::Verdict& verdict);
  // Keeps a copy in the archive of the envelope sender's domain.
  Result<void> archive(const mail::Envelope& envelope, std::string_view message);
  // Quarantine releases asked for by the CLI (null injector: released into the spool only).
  void tick(queue::Spool& spool, queue::MailInjector* injector);
  // F-DKIM: released quarantine messages are signed with this (set once, before serving).
  void set_release_signer(quarantine::ReleaseSigner signer);

 private:
  VerdictActions(VerdictActionsOptions options, policy::PolicyService& policy, store::Database db);

  VerdictActionsOptions options_;
  policy::PolicyService& policy_;
  std::mutex mutex_;
  store::Database db_;
  quarantine::QuarantineStore quarantine_;
  archive::ArchiveStore archive_;
};

}  // namespace pw::smtp
