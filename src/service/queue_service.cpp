// See queue_service.hpp.
#include "service/queue_service.hpp"

#include <future>
#include <memory>

#include "queue/queue_manager.hpp"
#include "service/scope.hpp"
#include "store/statement.hpp"

namespace pw::service {
namespace {

constexpr std::string_view kNoQueuedMessage = "no queued message";

std::string seconds_text(std::chrono::milliseconds wait) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(wait).count());
}

Outcome<std::string> answer(std::string line) {
  if (line.starts_with(kNoQueuedMessage)) return not_found(std::move(line));
  return line;
}

// The running gateway's queue, in this process: its answer comes on the queue's loop.
Outcome<std::string> on_queue(const QueueVia& via, bool flush, const std::string& id) {
  auto promise = std::make_shared<std::promise<std::string>>();
  auto future = promise->get_future();
  auto done = [promise](std::string line) { promise->set_value(std::move(line)); };
  if (flush)
    via.queue->flush(id, done);
  else
    via.queue->remove(id, done);
  if (future.wait_for(via.wait) != std::future_status::ready)
    return refuse(Failure::Kind::kInternal,
                  "the gateway's queue did not answer within " + seconds_text(via.wait) + " s");
  return answer(future.get());
}

// A gateway in another process: the command goes through the gateway_commands table.
Outcome<std::string> on_other_gateway(const Actor& actor, store::Database& db, const QueueVia& via,
                                      store::CommandKind kind, const std::string& id) {
  auto line = ask_running_gateway(db, kind, id, actor.name, via.wait);
  if (!line) return tl::unexpected(line.error());
  return answer(std::move(*line));
}

// The message when the actor may act on it. An administrator may name a message the log does
// not know (the gateway answers for it); a domain admin may not (404, as for another domain's).
Outcome<std::optional<store::MessageRow>> visible_message(const Actor& actor, store::Database& db,
                                                          const std::string& id) {
  auto row = store::MessageLog(db).find(id);
  if (!row) return from_error(row.error(), Failure::Kind::kInternal);
  const std::string missing = std::string(kNoQueuedMessage) + " " + id;
  if (!*row) {
    if (actor.is_admin()) return std::optional<store::MessageRow>();
    return not_found(missing);
  }
  if (auto allowed = require_message_access(actor, db, (*row)->user_domain, (*row)->mail_from);
      !allowed)
    return tl::unexpected(as_missing(allowed.error(), missing));
  return std::move(*row);
}

}  // namespace

Outcome<std::vector<store::MessageRow>> list_queue(const Actor& actor, store::Database& db,
                                                   const std::optional<std::string>& domain,
                                                   const std::optional<std::string>& status) {
  if (status && *status != "queued" && *status != "deferred")
    return invalid("bad status \"" + *status + "\": use queued or deferred");
  auto scope = list_scope(actor, db, domain);
  if (!scope) return tl::unexpected(scope.error());
  auto pending = store::MessageLog(db).pending();
  if (!pending) return from_error(pending.error(), Failure::Kind::kInternal);
  if (!*scope && !status) return std::move(*pending);
  std::vector<store::MessageRow> out;
  for (auto& row : *pending) {
    if (*scope && row.user_domain != **scope && row.sender_domain != **scope) continue;
    if (status) {
      bool any = false;
      for (const auto& r : row.recipients) any = any || store::to_string(r.status) == *status;
      if (!any) continue;
    }
    out.push_back(std::move(row));
  }
  return out;
}

Outcome<store::MessageRow> show_queued(const Actor& actor, store::Database& db,
                                       const std::string& id) {
  auto row = store::MessageLog(db).find(id);
  if (!row) return from_error(row.error(), Failure::Kind::kInternal);
  if (!*row) return not_found("no message " + id);
  if (auto allowed = require_message_access(actor, db, (*row)->user_domain, (*row)->mail_from);
      !allowed)
    return tl::unexpected(as_missing(allowed.error(), "no message " + id));
  return std::move(**row);
}

Outcome<std::string> flush_queue(const Actor& actor, store::Database& db,
                                 const std::filesystem::path&, const std::string& id,
                                 const QueueVia& via) {
  if (id.empty()) {
    if (auto admin = require_admin(actor); !admin)
      return forbidden("only an administrator may flush the whole queue");
  } else if (auto row = visible_message(actor, db, id); !row) {
    return tl::unexpected(row.error());
  }
  if (via.queue) return on_queue(via, true, id);
  if (via.other_gateway_running)
    return on_other_gateway(actor, db, via, store::CommandKind::kFlush, id);
  auto changed = store::MessageLog(db).make_deferred_due(id);
  if (!changed) return from_error(changed.error(), Failure::Kind::kInternal);
  return "flushed " + std::to_string(*changed) +
         " recipient(s); no gateway is running: they are tried when it starts";
}

Outcome<std::string> delete_queued(const Actor& actor, store::Database& db,
                                   const std::filesystem::path& data_dir, const std::string& id,
                                   const QueueVia& via) {
  auto row = visible_message(actor, db, id);
  if (!row) return tl::unexpected(row.error());
  if (via.queue) return on_queue(via, false, id);
  if (via.other_gateway_running)
    return on_other_gateway(actor, db, via, store::CommandKind::kDelete, id);
  if (!*row) return not_found(std::string(kNoQueuedMessage) + " " + id);
  store::MessageLog log(db);
  auto done = db.transaction([&]() -> Result<void> {
    for (const auto& r : (*row)->recipients) {
      if (store::is_final(r.status)) continue;
      auto x =
          log.record_recipient({id, r.rcpt, store::DeliveryStatus::kDeleted, r.attempts,
                                r.next_attempt_at, "deleted by the administrator", "", "deleted"});
      if (!x) return x;
    }
    return {};
  });
  if (!done) return from_error(done.error(), Failure::Kind::kInternal);
  std::error_code ignored;
  std::filesystem::remove(data_dir / "spool" / "incoming" / id, ignored);
  return "deleted " + id;
}

}  // namespace pw::service
