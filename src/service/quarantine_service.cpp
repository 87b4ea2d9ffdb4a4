// See quarantine_service.hpp.
#include "service/quarantine_service.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "dkim/dkim_config.hpp"
#include "mail/header_summary.hpp"
#include "policy/policy_snapshot.hpp"
#include "queue/mail_injector.hpp"
#include "queue/spool.hpp"
#include "scan/mime_text.hpp"
#include "service/learning_service.hpp"
#include "service/release_signer.hpp"
#include "service/scope.hpp"

namespace pw::service {
namespace {

// How much of a held message's body text the detail view shows.
constexpr size_t kDetailTextBytes = 64 * 1024;
// How often a release handed to a gateway in another process is checked for its answer.

// The row, when the actor may see it: 404 for an unknown id and for another domain's message.
Outcome<quarantine::QuarantinedRow> visible_row(const Actor& actor, store::Database& db,
                                                quarantine::QuarantineStore& store,
                                                const std::string& id) {
  auto row = store.find(id);
  if (!row) return from_error(row.error(), Failure::Kind::kInternal);
  const std::string missing = "no quarantined message " + id;
  if (!*row) return not_found(missing);
  if (auto allowed = require_message_access(actor, db, (*row)->user_domain, (*row)->mail_from);
      !allowed)
    return tl::unexpected(as_missing(allowed.error(), missing));
  return std::move(**row);
}

}  // namespace

Outcome<QuarantinePage> list_quarantine(const Actor& actor, store::Database& db,
                                        const std::filesystem::path& data_dir,
                                        quarantine::QuarantineFilter filter) {
  if (filter.domain) {
    auto main = main_domain(db, *filter.domain);
    if (!main) return tl::unexpected(main.error());
    if (!actor.may_access_domain(*main)) return forbidden();
    filter.domain = *main;
  }
  if (!actor.is_admin()) {
    if (actor.domain.empty()) return forbidden();
    filter.visible_to = actor.domain;
  }
  const int64_t limit = filter.limit;
  if (limit >= 1 && limit < kMaxSearchRows) filter.limit = limit + 1;
  quarantine::QuarantineStore store(db, data_dir);
  auto rows = store.list(filter);
  if (!rows) return from_error(rows.error());
  QuarantinePage page;
  page.items = std::move(*rows);
  if (static_cast<int64_t>(page.items.size()) > limit) {
    page.items.resize(static_cast<size_t>(limit));
    page.next = Cursor{page.items.back().held_at, page.items.back().id};
  }
  return page;
}

Outcome<QuarantineDetail> show_quarantined(const Actor& actor, store::Database& db,
                                           const std::filesystem::path& data_dir,
                                           const std::string& id) {
  quarantine::QuarantineStore store(db, data_dir);
  auto row = visible_row(actor, db, store, id);
  if (!row) return tl::unexpected(row.error());
  QuarantineDetail detail;
  if (row->status != "deleted") {
    auto held = store.read(id);
    if (!held) return from_error(held.error(), Failure::Kind::kInternal);
    detail.message = std::move(held->message);
  }
  auto decisions = decisions_of(db, id);
  if (!decisions) return tl::unexpected(decisions.error());
  detail.row = std::move(*row);
  detail.decisions = std::move(*decisions);
  return detail;
}

Outcome<std::string> quarantined_raw(const Actor& actor, store::Database& db,
                                     const std::filesystem::path& data_dir, const std::string& id) {
  quarantine::QuarantineStore store(db, data_dir);
  auto row = visible_row(actor, db, store, id);
  if (!row) return tl::unexpected(row.error());
  if (row->status == "deleted") return not_found("quarantined message " + id + " was deleted");
  auto held = store.read(id);
  if (!held) return from_error(held.error(), Failure::Kind::kInternal);
  return std::move(held->message);
}

Outcome<void> delete_quarantined(const Actor& actor, store::Database& db,
                                 const std::filesystem::path& data_dir, const std::string& id) {
  quarantine::QuarantineStore store(db, data_dir);
  auto row = visible_row(actor, db, store, id);
  if (!row) return tl::unexpected(row.error());
  if (auto removed = store.remove(id); !removed) return from_error(removed.error());
  return {};
}

namespace {

Outcome<Released> release_now(const Actor& actor, store::Database& db,
                              const std::filesystem::path& data_dir, const std::string& id,
                              const std::string& released_by, const ReleaseVia& via);

}  // namespace

// F-SPAM: a release is a ham example for the node's model (after the release: it stands even if
// learning fails, which is logged).
Outcome<Released> release_quarantined(const Actor& actor, store::Database& db,
                                      const std::filesystem::path& data_dir, const std::string& id,
                                      const std::string& released_by, const ReleaseVia& via) {
  auto released = release_now(actor, db, data_dir, id, released_by, via);
  if (released && via.config) {
    if (auto learned = learn_from_release(db, data_dir, id, released_by, *via.config); !learned)
      spdlog::error("event=learn_failed id={} label=ham error=\"{}\"", id, learned.error().message);
    else
      spdlog::info("event=learned id={} label=ham by={}", id, released_by);
  }
  return released;
}

namespace {

Outcome<Released> release_now(const Actor& actor, store::Database& db,
                              const std::filesystem::path& data_dir, const std::string& id,
                              const std::string& released_by, const ReleaseVia& via) {
  if (auto admin = require_admin(actor); !admin)
    return forbidden("only an administrator may release quarantined messages");
  quarantine::QuarantineStore store(db, data_dir);
  // Errors the admin can fix are reported at once, not after a round trip to a gateway.
  auto row = visible_row(actor, db, store, id);
  if (!row) return tl::unexpected(row.error());
  if (row->status != "held")
    return refuse(Failure::Kind::kConflict,
                  "quarantined message " + id + " is " + row->status + ", not held");

  if (via.injector) {  // inside the gateway: into its queue now
    store.set_release_signer(via.signer);
    auto queue_id = store.release(id, released_by, via.injector->spool(), via.injector);
    if (!queue_id) return from_error(queue_id.error(), Failure::Kind::kConflict);
    return Released{*queue_id, "released " + id + " as queue id " + *queue_id};
  }
  if (via.other_gateway_running) {  // the gateway of another process carries it out
    auto answer = ask_running_gateway(db, store::CommandKind::kRelease, id, released_by, via.wait);
    if (!answer) return tl::unexpected(answer.error());
    auto outcome = quarantine::release_answer(*answer);
    if (!outcome.ok) return refuse(Failure::Kind::kConflict, outcome.text);
    return Released{"", outcome.text};
  }
  auto spool = queue::Spool::open(data_dir / "spool");
  if (!spool) return from_error(spool.error(), Failure::Kind::kInternal);
  if (via.config && via.config->dkim.enabled) {  // F-DKIM: signed now, as the gateway would
    auto snapshot = policy::load_policy_snapshot(db);
    if (!snapshot) return from_error(snapshot.error(), Failure::Kind::kInternal);
    store.set_release_signer(make_release_signer(
        [s = *snapshot] { return s; },
        std::make_shared<dkim::KeyCache>(dkim::KeyStore(dkim::KeyStore::default_dir(data_dir))),
        std::make_shared<const dkim::SignerOptions>(dkim::signer_options(via.config->dkim))));
  }
  auto queue_id = store.release(id, released_by, *spool);
  if (!queue_id) return from_error(queue_id.error(), Failure::Kind::kConflict);
  return Released{*queue_id, "released " + id + " as queue id " + *queue_id +
                                 "; no gateway is running: it is delivered when it starts"};
}

}  // namespace

std::vector<std::pair<std::string, std::string>> header_fields(std::string_view message) {
  std::vector<std::pair<std::string, std::string>> fields;
  std::string_view headers = mail::header_section(message);
  size_t start = 0;
  while (start < headers.size()) {
    size_t end = headers.find('\n', start);
    if (end == std::string_view::npos) end = headers.size();
    std::string_view line = headers.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    start = end + 1;
    if (line.empty()) break;
    if ((line.front() == ' ' || line.front() == '\t') && !fields.empty()) {
      fields.back().second += " " + std::string(line.substr(line.find_first_not_of(" \t")));
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    size_t first = value.find_first_not_of(" \t");
    fields.emplace_back(std::string(line.substr(0, colon)),
                        first == std::string_view::npos ? "" : std::string(value.substr(first)));
  }
  return fields;
}

nlohmann::json quarantine_item_json(const quarantine::QuarantinedRow& row) {
  return {{"id", row.id},
          {"time", iso_time(row.held_at)},
          {"sender", row.mail_from},
          {"recipients", row.rcpt_to},
          {"user", row.sender},
          {"identity", row.identity},
          {"domain", row.user_domain},
          {"subject", row.subject},
          {"size", row.size},
          {"reason", row.reasons},
          {"check", row.check_name},
          {"score", row.score},
          {"status", row.status},
          {"response", row.response},
          {"client_ip", row.client_ip},
          {"released_by", row.released_by},
          {"queue_id", row.queue_id}};
}

nlohmann::json quarantine_detail_json(const QuarantineDetail& detail,
                                      const scan::MimeTextLimits& limits) {
  nlohmann::json out = quarantine_item_json(detail.row);
  nlohmann::json headers = nlohmann::json::array();
  for (auto& [name, value] : header_fields(detail.message)) headers.push_back({name, value});
  out["headers"] = headers;
  std::string text;
  if (!detail.message.empty()) {
    text = scan::extract_message_text(detail.message, limits).text;
    if (text.size() > kDetailTextBytes) text.resize(kDetailTextBytes);
  }
  out["text"] = text;
  nlohmann::json decisions = nlohmann::json::array();
  for (const auto& d : detail.decisions) decisions.push_back(decision_json(d));
  out["decisions"] = decisions;
  return out;
}

}  // namespace pw::service
