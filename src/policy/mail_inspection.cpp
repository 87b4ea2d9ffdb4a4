// The MAIL stage's look-ups: the envelope sender's domain and the client IP's block lists.
#include "policy/mail_inspection.hpp"

#include <spdlog/spdlog.h>

#include "mail/address.hpp"

namespace pw::policy {
namespace {

using boost::asio::awaitable;

// F-IPREP: the block lists' answers for the client IP, before the MAIL checks run.
awaitable<void> look_up_ip_reputation(Transaction& t, const MailInspectionServices& s) {
  t.ip_reputation_config = &s.config.ip_reputation;
  if (!s.ip_reputation) co_return;
  auto found = co_await s.ip_reputation(t.client_ip);
  size_t cached = 0;
  for (const auto& zone : found.zones) cached += zone.from_cache ? 1 : 0;
  spdlog::info(
      "event=ip_reputation client={} listed=\"{}\" weight={:.2f} zones={} queries={} "
      "cached={} elapsed_us={}",
      t.client_ip, found.listed_zones(), found.listed_weight(), found.zones.size(), found.queries,
      cached, found.elapsed.count());
  t.ip_reputation = std::move(found);
}

}  // namespace

awaitable<void> inspect_mail(Transaction& t, const MailInspectionServices& s) {
  // F-FROM: valid_sender_required; the null sender has no domain to look up.
  if (t.settings->valid_sender_required && !t.mail_from.empty() && s.domain_resolves)
    t.mail_from_resolves = co_await s.domain_resolves(mail::domain_of(t.mail_from));
  if (t.settings->check_ip_reputation) co_await look_up_ip_reputation(t, s);
}

}  // namespace pw::policy
