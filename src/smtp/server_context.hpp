// What every SMTP session of a node shares: configuration, TLS, spool, sender directory, guards,
// the blocking-work pool, and the registry used to stop sessions on shutdown.
#pragma once
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "auth/brute_force_guard.hpp"
#include "auth/sender_directory.hpp"
#include "config/config.hpp"
#include "net/connection_limiter.hpp"
#include "net/dnsbl_client.hpp"
#include "net/server_tls.hpp"
#include "queue/spool.hpp"

namespace pw::queue {
class QueueManager;
}
namespace pw::policy {
class PolicyService;
class OutbreakTracker;
}  // namespace pw::policy
namespace pw::scan {
class SpamClassifier;
}
namespace pw::smtp {
class VerdictActions;
}
namespace pw::batv {
struct BatvSnapshot;
}
namespace pw::dkim {
class KeyCache;
struct SignerOptions;
}  // namespace pw::dkim

namespace boost::asio {
class thread_pool;
namespace ssl {
class context;
}
}  // namespace boost::asio

namespace pw::smtp {

class StoppableSession {
 public:
  virtual ~StoppableSession() = default;
  // Thread-safe: asks the session to close at its next safe point (between transactions).
  virtual void request_stop() = 0;
};

class SessionRegistry {
 public:
  using Handle = std::list<std::weak_ptr<StoppableSession>>::iterator;
  Handle add(std::weak_ptr<StoppableSession> session);
  void remove(Handle handle);
  void stop_all();
  size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::list<std::weak_ptr<StoppableSession>> sessions_;
};

struct ServerContext {
  config::Config config;
  std::string hostname;
  std::shared_ptr<net::ServerTls> tls;  // its current() context serves each new session
  std::unique_ptr<queue::Spool> spool;
  queue::QueueManager* queue = nullptr;  // null: accepted mail only fills the spool
  std::unique_ptr<auth::BruteForceGuard> guard;
  std::shared_ptr<net::ConnectionLimiter> limiter;
  std::atomic<std::shared_ptr<const auth::SenderDirectory>> directory;
  boost::asio::thread_pool* blocking = nullptr;
  // Verified against when a user is unknown, so that a reply's timing does not tell whether
  // the user exists.
  std::string dummy_password_hash;
  std::atomic<bool> stopping{false};
  // Refusals on implicit-TLS listeners whose handshake is under way ([server] max_tls_refusals).
  std::atomic<int64_t> tls_refusals{0};
  SessionRegistry sessions;
  // Blocking: reloads the sender directory now if the database changed since the last load;
  // true when it did. Used when AUTH names an unknown user, so a user added a moment ago works.
  std::function<bool()> refresh_senders;
  // The policy engine (null: no checks, as in unit tests of the protocol).
  policy::PolicyService* policy = nullptr;
  // Holding, reporting and archiving (set whenever policy is).
  VerdictActions* actions = nullptr;
  // F-FUZZY: who sent which campaign recently (null: no outbreak detection).
  std::shared_ptr<policy::OutbreakTracker> outbreaks;
  // F-SPAM: the spam classifier, shared read-only; replaced whole when the administrator's
  // decisions change (app/spam_model_loader). A session keeps the one it loaded for its scan.
  // Null: no scan.
  std::atomic<std::shared_ptr<const scan::SpamClassifier>> spam_classifier;
  // F-DKIM: the signing keys of <data-dir>/dkim and the signer's options (both null: nothing is
  // signed, as with [dkim] enabled = false).
  std::shared_ptr<dkim::KeyCache> dkim_keys;
  std::shared_ptr<const dkim::SignerOptions> dkim_options;
  // Does a domain resolve (MX, else A/AAAA)? nullopt when DNS gives no answer now. Completes on
  // the caller's executor. Used by valid_sender_required (F-FROM).
  std::function<boost::asio::awaitable<std::optional<bool>>(std::string)> domain_resolves;
  // F-IPREP: the DNS block lists' answers for a client IP (null: no zones configured). Completes
  // on the caller's executor; never fails (a list that does not answer is an error entry).
  std::function<boost::asio::awaitable<net::DnsblResult>(std::string)> ip_reputation;
  // F-BATV: the tag keys and the domains with batv on, for the bounce listener (null: none);
  // replaced when the config generation changes.
  std::atomic<std::shared_ptr<const batv::BatvSnapshot>> batv;
};

}  // namespace pw::smtp
