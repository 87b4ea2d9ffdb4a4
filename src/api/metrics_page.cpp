// The /metrics page: the counters declared in obs/ (every outcome, the checks' verdicts), and
// values read when asked (queue size, sessions, locks).
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
