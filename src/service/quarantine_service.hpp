// The outgoing quarantine for the CLI and the REST API (F-RELEASE, F-PANEL): list, view, raw
// message, delete, and release (administrators only). A domain admin sees only messages of its
// domain's users or sent from its domain (aliases too); any other answers 403.
// Blocking (SQLite, files): call from a worker thread.
#pragma once
#include <chrono>
#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "quarantine/quarantine_store.hpp"
#include "scan/mime_text.hpp"
#include "service/actor.hpp"
#include "service/gateway_command.hpp"
#include "service/log_service.hpp"
#include "service/outcome.hpp"
#include "service/paging.hpp"
#include "store/database.hpp"

namespace pw::queue {
class MailInjector;
class Spool;
}  // namespace pw::queue

namespace pw::service {

struct QuarantinePage {
  std::vector<quarantine::QuarantinedRow> items;
  std::optional<Cursor> next;  // null on the last page
};

// `filter.visible_to` is set here from the actor; `filter.domain` is checked against it.
Outcome<QuarantinePage> list_quarantine(const Actor& actor, store::Database& db,
                                        const std::filesystem::path& data_dir,
                                        quarantine::QuarantineFilter filter);

struct QuarantineDetail {
  quarantine::QuarantinedRow row;
  std::string message;              // the raw message; "" once deleted
  std::vector<Decision> decisions;  // the policy's whole trail for this message
};
Outcome<QuarantineDetail> show_quarantined(const Actor& actor, store::Database& db,
                                           const std::filesystem::path& data_dir,
                                           const std::string& id);
// The raw message (404 once deleted).
Outcome<std::string> quarantined_raw(const Actor& actor, store::Database& db,
                                     const std::filesystem::path& data_dir, const std::string& id);
Outcome<void> delete_quarantined(const Actor& actor, store::Database& db,
                                 const std::filesystem::path& data_dir, const std::string& id);

// Where a release goes.
struct ReleaseVia {
  // Inside the gateway (the API in `serve`): its queue takes the message at once, signed by the
  // gateway's signer.
  queue::MailInjector* injector = nullptr;
  quarantine::ReleaseSigner signer;
  // Outside it (CLI): a gateway runs in another process: it is asked through the
  // gateway_commands table and answers within `wait`.
  bool other_gateway_running = false;
  std::chrono::milliseconds wait = kGatewayCommandWait;
  // No gateway at all: written to the spool (signed when [dkim] is on), sent at the next start.
  // Also the [scan] limits and [spam] bounds of learning from the release (F-SPAM): set by
  // every caller; without it the release teaches nothing.
  const config::Config* config = nullptr;
};

struct Released {
  std::string queue_id;  // "" when the running gateway answered with text only
  std::string text;      // the line the CLI prints
};
// Administrators only (403). 404 for an unknown id, 409 when it is not held any more.
Outcome<Released> release_quarantined(const Actor& actor, store::Database& db,
                                      const std::filesystem::path& data_dir, const std::string& id,
                                      const std::string& released_by, const ReleaseVia& via);

nlohmann::json quarantine_item_json(const quarantine::QuarantinedRow& row);
// The item with "headers": [[name, value]...], "text" (the first 64 KiB of the body text) and
// "decisions".
// `limits`: the node's [scan] limits (scan::mime_text_limits), which bound the text shown.
nlohmann::json quarantine_detail_json(const QuarantineDetail& detail,
                                      const scan::MimeTextLimits& limits);

// Header fields of a message as [name, value] pairs, continuation lines unfolded.
std::vector<std::pair<std::string, std::string>> header_fields(std::string_view message);

}  // namespace pw::service
