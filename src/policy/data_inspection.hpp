// Data inspection (issue 16 item 4): what the checks of the DATA stage need to know about a
// message, found once per message and stored in the transaction — the header From and whether
// its domain resolves, the attachment scan, rspamd/spamd, clamd, the fuzzy fingerprint and the
// spam classifier. The SMTP session awaits this, then runs the chain; it runs no scanner itself.
// Each scan is CPU or network work: it runs on the worker pool, never on the event loop.
// Trust: the message is hostile client bytes; every scanner is bounded by the [scan], [clamd],
// [rspamd] and [spamd] limits.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "mail/message_content.hpp"
#include "policy/outbreak_tracker.hpp"
#include "policy/transaction.hpp"
#include "scan/external_result.hpp"
#include "scan/spam_classifier.hpp"

namespace pw::policy {

struct InspectionServices {
  boost::asio::thread_pool& blocking;
  const config::Config& config;
  // valid_sender_required: does the header From's domain resolve? Empty: not asked.
  std::function<boost::asio::awaitable<std::optional<bool>>(std::string)> domain_resolves;
  // The classifier this message is judged by (null: none loaded); kept for the whole scan even
  // if learning replaces the node's classifier meanwhile.
  std::shared_ptr<const scan::SpamClassifier> classifier;
  OutbreakTracker* outbreaks = nullptr;  // null: outbreak detection off
};

// Fills t.header_from*, t.attachments, t.external, t.virus, t.fuzzy and t.spam from `message`
// (the header section as it will leave, identity headers removed). `envelope` names the message
// for rspamd/spamd and for the log lines (its queue_id). Needs t.settings and t.now.
// `message` may keep its body in a file (issue 17 item 4): the scans read it from there.
boost::asio::awaitable<void> inspect_data(Transaction& t, const mail::MessageContent& message,
                                          const scan::ScanEnvelope& envelope,
                                          const InspectionServices& services);

}  // namespace pw::policy
