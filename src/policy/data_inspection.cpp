// The DATA stage's inspection of one message: each scanner the user's settings and the node's
// configuration ask for, each on the worker pool, results stored in the transaction.
#include "policy/data_inspection.hpp"

#include <spdlog/spdlog.h>

#include "mail/address.hpp"
#include "mail/printable.hpp"
#include "policy/fuzzy_inspection.hpp"
#include "policy/header_from.hpp"
#include "scan/attachment_limits.hpp"
#include "scan/clamd_client.hpp"
#include "scan/external_scans.hpp"
#include "util/blocking.hpp"

namespace pw::policy {
namespace {

using boost::asio::awaitable;

// F-MACRO, F-PUA, and F-FUZZY's hash block list (which needs the attachments' hashes).
awaitable<void> scan_attachments(Transaction& t, std::string_view message,
                                 const InspectionServices& s) {
  const bool hash_blocks =
      s.config.fuzzy.enabled && t.snapshot && t.snapshot->hash_blocks->has_sha256();
  if (!t.settings->block_macros && !t.settings->block_pua && !hash_blocks) co_return;
  const scan::AttachmentLimits limits = scan::attachment_limits(s.config.scan);
  t.attachments = co_await util::run_blocking(
      s.blocking, [message, limits] { return scan::scan_attachments(message, limits); });
}

// F-SPAM: rspamd and spamd, when configured.
awaitable<void> scan_externally(Transaction& t, std::string_view message,
                                const scan::ScanEnvelope& envelope, const InspectionServices& s) {
  if (!scan::external_scans_enabled(s.config)) co_return;
  const config::Config* config = &s.config;
  t.external = co_await util::run_blocking(s.blocking, [message, &envelope, config] {
    return scan::run_external_scans(message, envelope, *config);
  });
}

// F-AV: clamd's verdict in t.virus. A failure is logged loudly; with on_failure = accept the
// message goes on unscanned, otherwise the virus check answers 451.
awaitable<void> scan_for_viruses(Transaction& t, std::string_view message, const std::string& id,
                                 const InspectionServices& s) {
  if (s.config.clamd.socket.empty() || !t.settings->block_viruses) co_return;
  auto options = scan::ClamdOptions::from(s.config.clamd);
  auto result = co_await util::run_blocking(
      s.blocking, [options, message] { return scan::clamd_scan(options, message); });
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

// F-FUZZY and F-SPAM read the same body text: one MIME walk, one worker hop. The classifier runs
// always, so spam counts even when it is not blocked.
awaitable<void> read_body_text(Transaction& t, std::string_view message,
                               const InspectionServices& s) {
  const bool fuzzy_on = s.config.fuzzy.enabled && t.snapshot;
  const scan::SpamClassifier* classifier = s.classifier.get();
  if (!fuzzy_on && !classifier) co_return;
  const scan::AttachmentReport* scanned = t.attachments ? &*t.attachments : nullptr;
  auto blocks = fuzzy_on ? t.snapshot->hash_blocks : nullptr;
  auto options = FuzzyOptions::from(s.config.fuzzy, s.config.scan);
  const scan::SpamCutoffs cutoffs =
      scan::spam_cutoffs(s.config.spam, t.domain ? t.domain->spam_threshold : std::nullopt);
  auto [fuzzy, spam] = co_await util::run_blocking(
      s.blocking, [message, scanned, blocks, tracker = s.outbreaks, subject = t.user_subject(),
                   now = t.now, options, classifier, cutoffs] {
        const scan::MessageText text = scan::extract_message_text(message, options.text_limits);
        std::optional<FuzzyResult> f;
        std::optional<scan::SpamReport> r;
        if (blocks)
          f = inspect_fuzzy_text(text.text, scanned, *blocks, tracker, subject, now, options);
        if (classifier) r = classifier->classify_text(message, text, cutoffs);
        return std::pair{std::move(f), std::move(r)};
      });
  t.fuzzy = std::move(fuzzy);
  t.spam = std::move(spam);
}

}  // namespace

awaitable<void> inspect_data(Transaction& t, std::string_view message,
                             const scan::ScanEnvelope& envelope,
                             const InspectionServices& services) {
  t.header_from = header_from_address(message);
  if (t.settings->valid_sender_required && !t.header_from.empty() && services.domain_resolves)
    t.header_from_resolves = co_await services.domain_resolves(mail::domain_of(t.header_from));
  co_await scan_attachments(t, message, services);
  co_await scan_externally(t, message, envelope, services);
  co_await scan_for_viruses(t, message, envelope.queue_id, services);
  co_await read_body_text(t, message, services);
}

}  // namespace pw::policy
