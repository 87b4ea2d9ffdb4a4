// The /metrics page: counters kept in obs::metrics(), the queue's own counters, and values read
// when asked (queue size, sessions, locks).
#include "api/metrics_page.hpp"

#include <fmt/format.h>

#include "api/api_context.hpp"
#include "obs/metrics.hpp"
#include "queue/queue_manager.hpp"
#include "smtp/server_context.hpp"
#include "store/lock_repository.hpp"
#include "store/statement.hpp"

namespace pw::api {
namespace {

void gauge(std::string& out, std::string_view name, std::string_view help, uint64_t value) {
  out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n{} {}\n", name, help, name, name, value);
}

}  // namespace

std::string render_metrics_page(ApiContext& context) {
  const obs::Metrics& m = obs::metrics();
  std::string out;
  out +=
      "# HELP postwarden_messages_total Messages by result: what the sessions decided at the end "
      "of DATA, and what delivery did with the recipients.\n"
      "# TYPE postwarden_messages_total counter\n";
  uint64_t delivered = 0, deferred = 0, bounced = 0;
  if (context.queue) {
    const auto& q = context.queue->counters();
    delivered = q.delivered.load(std::memory_order_relaxed);
    deferred = q.deferred.load(std::memory_order_relaxed);
    bounced = q.bounced.load(std::memory_order_relaxed);
  }
  const std::pair<std::string_view, uint64_t> results[] = {
      {"accepted", m.messages(obs::MessageResult::kAccepted)},
      {"rejected", m.messages(obs::MessageResult::kRejected)},
      {"quarantined", m.messages(obs::MessageResult::kQuarantined)},
      {"discarded", m.messages(obs::MessageResult::kDiscarded)},
      {"deferred", deferred},
      {"delivered", delivered},
      {"bounced", bounced},
  };
  for (const auto& [result, value] : results)
    out += fmt::format("postwarden_messages_total{{result=\"{}\"}} {}\n", result, value);
  gauge(out, "postwarden_queue_size", "Messages waiting in the queue.",
        context.queue ? context.queue->queued() : 0);
  gauge(out, "postwarden_active_sessions", "SMTP sessions open now.",
        context.server ? context.server->sessions.size() : 0);
  uint64_t users = 0, identities = 0;
  if (auto db = context.database()) {
    if (auto subjects = store::locked_subjects(**db, store::unix_now())) {
      for (const auto& subject : *subjects) {
        if (subject.rfind("user:", 0) == 0) ++users;
        if (subject.rfind("identity:", 0) == 0) ++identities;
      }
    }
  }
  gauge(out, "postwarden_locked_users", "Users locked now.", users);
  gauge(out, "postwarden_locked_identities", "Identities locked now.", identities);
  out += m.render();
  return out;
}

}  // namespace pw::api
