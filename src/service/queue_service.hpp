// The mail queue for the CLI and the REST API (F-QUEUE, F-PANEL): what waits for delivery, one
// message, flush (retry now) and delete. A domain admin sees and acts on its domain's messages
// only; flushing the whole queue is for administrators. Blocking: call from a worker thread.
#pragma once
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "service/actor.hpp"
#include "service/gateway_command.hpp"
#include "service/outcome.hpp"
#include "store/database.hpp"
#include "store/message_log.hpp"

namespace pw::queue {
class QueueManager;
}

namespace pw::service {

// Where a flush or delete goes.
struct QueueVia {
  queue::QueueManager* queue = nullptr;  // inside the gateway (the API in `serve`)
  bool other_gateway_running = false;    // CLI: handed over through the gateway_commands table
  std::chrono::milliseconds wait = kGatewayCommandWait;  // how long the answer may take either way
};

// Messages with a recipient still queued or deferred, oldest first; `domain` as in log search,
// `status` "queued" or "deferred" (a recipient in it).
Outcome<std::vector<store::MessageRow>> list_queue(const Actor& actor, store::Database& db,
                                                   const std::optional<std::string>& domain,
                                                   const std::optional<std::string>& status);
// One message with its recipients (404 "no message ID").
Outcome<store::MessageRow> show_queued(const Actor& actor, store::Database& db,
                                       const std::string& id);
// `id` "" = every deferred message (administrators only). Returns the line to show.
Outcome<std::string> flush_queue(const Actor& actor, store::Database& db,
                                 const std::filesystem::path& data_dir, const std::string& id,
                                 const QueueVia& via);
// Returns the line to show; 404 "no queued message ID".
Outcome<std::string> delete_queued(const Actor& actor, store::Database& db,
                                   const std::filesystem::path& data_dir, const std::string& id,
                                   const QueueVia& via);

}  // namespace pw::service
