// What the gateway does with policy verdicts: runs the chain, logs every decision, keeps the
// counters, locks users and identities (and mails the lock template and the administrator
// through the Outbox it is handed). Holding, reporting and archiving a message are done above,
// in smtp/verdict_actions.
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

#include "mail/outbox.hpp"
#include "policy/counter_store.hpp"
#include "policy/identity_method.hpp"
#include "policy/lock_book.hpp"
#include "policy/policy_chain.hpp"
#include "policy/policy_snapshot.hpp"
#include "policy/spam_evidence.hpp"
#include "store/database.hpp"

namespace pw::store {
class LogWriter;
}

namespace pw::policy {

struct PolicyOptions {
  std::filesystem::path data_dir;
  std::string hostname;
  std::string abuse_contact;  // when a domain has no administrator contact
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

  // Where notices go (the queue's MailInjector); without one they are logged as not sent.
  void set_outbox(mail::Outbox* outbox) { outbox_ = outbox; }
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
  // Blocking, about once a second: counters to the database.
  void tick(int64_t now);
  // Blocking: queues a notice (kind "lock", "arf", ...) to `to`, logged under `domain`. A message
  // that starts with "Subject: ...\r\n\r\n" gets our header; an "arf" message is sent as it is.
  void send_mail(mail::Origin kind, const std::string& domain, const std::string& to,
                 const std::string& message);
  // The node's abuse contact: the one stored by an administrator (snapshot), else the config's.
  std::string abuse_contact(const Transaction& t) const;

  CounterStore& counters() { return counters_; }
  LockBook& locks() { return *locks_; }

 private:
  PolicyService(PolicyOptions options, store::LogWriter& writer, store::Database locks_db,
                store::Database counters_db);
  void lock(const Transaction& t, const std::string& subject, const std::string& who,
            const Verdict& verdict, int64_t spam_count);
  void mail_lock_notices(const Transaction& t, const std::string& subject, const std::string& who,
                         const std::string& reason, const std::string& messages,
                         const LockState& locked);
  void upsert_identity(const Transaction& t, int64_t messages);

  PolicyOptions options_;
  store::LogWriter& writer_;
  store::Database locks_db_;
  store::Database counters_db_;  // the counters' flush: under counters_mutex_
  std::mutex counters_mutex_;
  CounterStore counters_;
  SpamEvidence evidence_;
  std::unique_ptr<LockBook> locks_;
  PolicyChain chain_;
  std::atomic<std::shared_ptr<const PolicySnapshot>> snapshot_;
  std::shared_ptr<const std::map<std::string, IdentityMethod>> methods_;
  mutable std::mutex methods_mutex_;
  mail::Outbox* outbox_ = nullptr;
};

}  // namespace pw::policy
