// MAIL inspection (issue 16 item 4): what the checks of the MAIL stage need to know that takes a
// network look-up — whether the envelope sender's domain resolves, and the client IP's block-list
// answers — found once per transaction and stored in it. The SMTP session awaits this, then runs
// the chain; it looks nothing up itself. DATA's counterpart is data_inspection.
// Trust: the envelope sender is client input; both look-ups are bounded by the resolver's and the
// block lists' time-outs, and fail open (an unanswered look-up is no evidence).
#pragma once
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "net/dnsbl_client.hpp"
#include "policy/transaction.hpp"

namespace pw::policy {

struct MailInspectionServices {
  const config::Config& config;
  // valid_sender_required: does the envelope sender's domain resolve? Empty: not asked.
  std::function<boost::asio::awaitable<std::optional<bool>>(std::string)> domain_resolves;
  // check_ip_reputation: the block lists' answers for a client IP. Empty: no lists configured.
  std::function<boost::asio::awaitable<net::DnsblResult>(std::string)> ip_reputation;
};

// Fills t.mail_from_resolves and t.ip_reputation_config / t.ip_reputation as t.settings ask.
// Needs t.settings, t.mail_from and t.client_ip.
boost::asio::awaitable<void> inspect_mail(Transaction& t, const MailInspectionServices& services);

}  // namespace pw::policy
