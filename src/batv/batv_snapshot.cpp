// F-BATV: the keys and switched-on domains of a running gateway (see the header).
#include "batv/batv_snapshot.hpp"

#include "batv/batv_keys.hpp"
#include "mail/address.hpp"
#include "mail/name_syntax.hpp"
#include "util/ascii_text.hpp"

namespace pw::batv {

bool BatvSnapshot::enabled_for(std::string_view domain) const {
  return domains.count(util::ascii_lowercase(domain)) > 0;
}

std::string BatvSnapshot::tag_sender(std::string_view mail_from, int64_t now) const {
  if (mail_from.empty() || !enabled_for(mail::domain_of(mail_from))) return std::string(mail_from);
  return tag(mail_from, keys, now, lifetime_days);
}

Verification BatvSnapshot::verify(std::string_view address, int64_t now) const {
  return batv::verify(address, keys, now, lifetime_days, max_address_length);
}

Result<std::shared_ptr<const BatvSnapshot>> load_batv_snapshot(store::Database& db,
                                                               const config::BatvConfig& config) {
  store::BatvKeyRepository repository(db);
  auto snapshot = std::make_shared<BatvSnapshot>();
  auto ring = BatvKeys(db).key_ring();
  if (!ring) return tl::unexpected(ring.error());
  snapshot->keys = std::move(*ring);
  auto domains = repository.batv_domains();
  if (!domains) return tl::unexpected(domains.error());
  snapshot->domains.insert(domains->begin(), domains->end());
  auto all = repository.node_domains();
  if (!all) return tl::unexpected(all.error());
  snapshot->node_domains.insert(all->begin(), all->end());
  snapshot->lifetime_days = config.tag_lifetime_days;
  snapshot->max_address_length = static_cast<size_t>(config.max_address_length);
  return std::shared_ptr<const BatvSnapshot>(std::move(snapshot));
}

}  // namespace pw::batv
