// What the gateway does with policy verdicts: runs the chain, logs every decision, keeps the
// counters, locks users and identities (and mails the lock template and the administrator),
// holds quarantined messages and mails the ARF abuse report, archives outgoing mail.
// Thread model: evaluate(), record_decisions() and the count_* calls run on the event loops and
// never block (the log writer and the counter store take them); the methods marked blocking run
// on the blocking pool (util::run_blocking). Owns its own database connections.
#pragma once
#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "policy/counter_store.hpp"
#include "policy/identity_method.hpp"
#include "policy/lock_book.hpp"
#include "policy/policy_chain.hpp"
#include "policy/policy_snapshot.hpp"
#include "policy/spam_evidence.hpp"
#include "queue/spool.hpp"
#include "store/database.hpp"

namespace pw::store {
class LogWriter;
}
namespace pw::queue {
class MailInjector;
}
namespace pw::quarantine {
class QuarantineStore;
}
namespace pw::archive {
class ArchiveStore;
}

namespace pw::policy {

struct PolicyOptions {
  std::filesystem::path data_dir;
  std::string hostname;
  std::string abuse_contact;    // when a domain has no administrator contact
  size_t arf_max_attached = 0;  // larger originals are attached as headers only
  bool notify_admin_on_lock = true;
  int64_t new_domain_max_age_s = 0;   // F-NRD: feed domains younger than this are loaded
  size_t lock_message_ids = 0;        // F-LOCK-WHY: ids a lock names at most ([policy])
  size_t lock_evidence_subjects = 0;  // subjects whose latest spam ids are kept ([policy])
};

class PolicyService {
 public:
  static Result<std::unique_ptr<PolicyService>> open(PolicyOptions options,
                                                     store::LogWriter& writer);
  ~PolicyService();

  void set_injector(queue::MailInjector* injector) { injector_ = injector; }
  // Blocking: the snapshot of users' settings and domains, and the locks table.
  Result<void> reload(store::Database& db);
  std::shared_ptr<const PolicySnapshot> snapshot() const { return snapshot_.load(); }
  // The identification method of a user (parsed once per snapshot).
  IdentityMethod identity_method(const std::string& user_name) const;

  ChainResult evaluate(const Transaction& t);
  void record_decisions(const Transaction& t, const ChainResult& result,
                        const std::string& message_id);

  void count_connection(const Transaction& t);
  void count_invalid_recipient(const Transaction& t, const std::string& rcpt);
  void count_accepted(const Transaction& t);
  // F-IPREP: every message judged at the end of DATA counts for its client IP, and a spam
  // verdict counts as spam too (the IP's local history, summed by the ip_reputation check).
  void count_ip_message(const Transaction& t, bool spam);
  void count_unsure(const Transaction& t);
  // From the queue: a permanent failure at delivery counts as an invalid recipient of the user.
  void count_delivery_failure(const std::string& user_name);

  // Blocking: a spam verdict counts for the user (and identity); over the threshold within the
  // window it locks them and mails the lock template to the sender and a notice to the admin.
  // `message` (its queue id, check and outcome) is remembered so that the lock can name it.
  void count_spam(const Transaction& t, const Verdict& verdict, SpamMessage message);
  // Blocking: holds the message and mails the ARF report to the domain's contact.
  Result<void> quarantine(const Transaction& t, const mail::Envelope& envelope,
                          std::string_view message, const Verdict& verdict);
  // Blocking: keeps a copy in the archive of the envelope sender's domain.
  Result<void> archive(const mail::Envelope& envelope, std::string_view message);
  // Blocking, about once a second: counters to the database, quarantine releases asked by CLI.
  void tick(int64_t now, queue::Spool& spool);

  CounterStore& counters() { return counters_; }
  LockBook& locks() { return *locks_; }
  // F-DKIM: released quarantine messages are signed with this (set once, before serving).
  // (the type is quarantine::ReleaseSigner)
  void set_release_signer(
      std::function<std::string(const mail::Envelope&, std::string_view)> signer);

 private:
  PolicyService(PolicyOptions options, store::LogWriter& writer, store::Database locks_db,
                store::Database actions_db);
  void lock(const Transaction& t, const std::string& subject, const std::string& who,
            const Verdict& verdict, int64_t spam_count);
  void mail_lock_notices(const Transaction& t, const std::string& subject, const std::string& who,
                         const std::string& reason, const std::string& messages,
                         const LockState& locked);
  void upsert_identity(const Transaction& t, int64_t messages);
  // The node's abuse contact: the one stored by an administrator (snapshot), else the config's.
  std::string abuse_contact(const Transaction& t) const;
  void send_mail(const std::string& kind, const std::string& domain, const std::string& to,
                 const std::string& message);

  PolicyOptions options_;
  store::LogWriter& writer_;
  store::Database locks_db_;
  store::Database actions_db_;  // quarantine, archive, counters flush: under actions_mutex_
  std::mutex actions_mutex_;
  CounterStore counters_;
  SpamEvidence evidence_;
  std::unique_ptr<LockBook> locks_;
  std::unique_ptr<quarantine::QuarantineStore> quarantine_;
  std::unique_ptr<archive::ArchiveStore> archive_;
  PolicyChain chain_;
  std::atomic<std::shared_ptr<const PolicySnapshot>> snapshot_;
  std::shared_ptr<const std::map<std::string, IdentityMethod>> methods_;
  mutable std::mutex methods_mutex_;
  queue::MailInjector* injector_ = nullptr;
};

}  // namespace pw::policy
