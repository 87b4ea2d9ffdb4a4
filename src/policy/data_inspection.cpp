// The DATA stage's inspection of one message: each scanner the user's settings and the node's
// configuration ask for, each on the worker pool (the text of a small message on the session's own
// thread), results stored in the transaction.
#include "policy/data_inspection.hpp"

#include <spdlog/spdlog.h>

#include <utility>

#include "mail/address.hpp"
#include "mail/printable.hpp"
#include "policy/fuzzy_inspection.hpp"
#include "policy/header_from.hpp"
#include "scan/attachment_limits.hpp"
#include "scan/clamd_client.hpp"
#include "scan/external_scans.hpp"
#include "scan/parsed_message.hpp"
#include "util/blocking.hpp"

namespace pw::policy {
namespace {

using boost::asio::awaitable;

// F-SPAM: rspamd and spamd, when configured.
awaitable<void> scan_externally(Transaction& t, const mail::MessageContent& message,
                                const scan::ScanEnvelope& envelope, const InspectionServices& s) {
  if (!scan::external_scans_enabled(s.config)) co_return;
  const config::Config* config = &s.config;
  t.external = co_await util::run_blocking(s.blocking, [&message, &envelope, config] {
    return scan::run_external_scans(message, envelope, *config);
  });
}

// F-AV: clamd's verdict in t.virus. A failure is logged loudly; with on_failure = accept the
// message goes on unscanned, otherwise the virus check answers 451.
awaitable<void> scan_for_viruses(Transaction& t, const mail::MessageContent& message,
                                 const std::string& id, const InspectionServices& s) {
  if (s.config.clamd.socket.empty() || !t.settings->block_viruses) co_return;
  auto options = scan::ClamdOptions::from(s.config.clamd);
  auto result = co_await util::run_blocking(
      s.blocking, [options, &message] { return scan::clamd_scan(options, message); });
  if (result.infected())
    spdlog::info("event=virus_found id={} sender={} signature=\"{}\" ms={}", id,
                 mail::printable(t.sender.name), result.signature, result.elapsed_ms);
  if (result.failed()) {
    const bool accept = s.config.clamd.on_failure == "accept";
    spdlog::error(
        "event=virus_scan_failed id={} sender={} clamd={} on_failure={} ms={} error=\"{}\"", id,
        mail::printable(t.sender.name), options.address, accept ? "accept" : "tempfail",
        result.elapsed_ms, result.error);
    if (accept) co_return;  // delivered unscanned, as configured
  }
  t.virus = std::move(result);
}

// What the attachment walk (F-MACRO, F-PUA, F-FUZZY's hash block list) and the body text
// (F-FUZZY, F-SPAM) need, copied for the worker; an empty part is not asked for.
struct PartsAndText {
  std::optional<scan::AttachmentLimits> attachment_limits;
  std::shared_ptr<const HashBlockList> blocks;  // F-FUZZY on
  const scan::SpamClassifier* classifier = nullptr;
  OutbreakTracker* tracker = nullptr;
  std::string subject;
  int64_t now = 0;
  FuzzyOptions options;
  scan::SpamCutoffs cutoffs;

  struct Found {
    std::optional<scan::AttachmentReport> attachments;
    std::optional<FuzzyResult> fuzzy;
    std::optional<scan::SpamReport> spam;
  };

  // On the worker: the attachments first (the fuzzy check reads their hashes), then the text,
  // both from one parse (issue 17 item 2).
  Found read(const mail::MessageContent& message) const {
    Found found;
    const auto& text_limits = options.text_limits;
    const scan::ParsedMessage parsed =
        scan::parse_for_scans(message, text_limits.max_parts, text_limits.max_header_fields);
    if (attachment_limits) found.attachments = scan::scan_attachments(parsed, *attachment_limits);
    if (!blocks && !classifier) return found;
    const scan::MessageText text = scan::extract_message_text(parsed, text_limits);
    const scan::AttachmentReport* scanned = found.attachments ? &*found.attachments : nullptr;
    if (blocks)
      found.fuzzy = inspect_fuzzy_text(text.text, scanned, *blocks, tracker, subject, now, options);
    if (classifier) found.spam = classifier->classify_text(message.memory, text, cutoffs);
    return found;
  }
};

// The attachment walk and the body text in one worker hop (issue 17 item 2: a hop per message
// fewer). The classifier runs always, so spam counts even when it is not blocked.
awaitable<void> read_parts_and_text(Transaction& t, const mail::MessageContent& message,
                                    const InspectionServices& s) {
  PartsAndText job;
  const bool fuzzy_on = s.config.fuzzy.enabled && t.snapshot;
  if (t.settings->block_macros || t.settings->block_pua ||
      (fuzzy_on && t.snapshot->hash_blocks->has_sha256()))
    job.attachment_limits = scan::attachment_limits(s.config.scan);
  if (fuzzy_on) job.blocks = t.snapshot->hash_blocks;
  job.classifier = s.classifier.get();
  if (!job.attachment_limits && !job.blocks && !job.classifier) co_return;
  job.tracker = s.outbreaks;
  job.subject = t.user_subject();
  job.now = t.now;
  job.options = FuzzyOptions::from(s.config.fuzzy, s.config.scan);
  job.cutoffs =
      scan::spam_cutoffs(s.config.spam, t.domain ? t.domain->spam_threshold : std::nullopt);
  // A small message is read where it is (issue 17 item 2: the hop to the pool and back, with its
  // wake-ups, cost more than reading 4 KiB). Not when the attachment walk runs: an archive may
  // expand to [scan] max_archive_expansion, which must not hold up the event loop's sessions.
  const bool on_this_thread =
      !job.attachment_limits && message.rest.empty() &&
      std::cmp_less_equal(message.memory.size(), s.config.scan.inline_max_bytes);
  auto found = on_this_thread ? job.read(message)
                              : co_await util::run_blocking(
                                    s.blocking, [&job, &message] { return job.read(message); });
  t.attachments = std::move(found.attachments);
  t.fuzzy = std::move(found.fuzzy);
  t.spam = std::move(found.spam);
}

}  // namespace

awaitable<void> inspect_data(Transaction& t, const mail::MessageContent& message,
                             const scan::ScanEnvelope& envelope,
                             const InspectionServices& services) {
  t.header_from = header_from_address(message.memory);
  if (t.settings->valid_sender_required && !t.header_from.empty() && services.domain_resolves)
    t.header_from_resolves = co_await services.domain_resolves(mail::domain_of(t.header_from));
  co_await read_parts_and_text(t, message, services);
  co_await scan_externally(t, message, envelope, services);
  co_await scan_for_viruses(t, message, envelope.queue_id, services);
}

}  // namespace pw::policy
