// F-BATV: what a running gateway needs to tag and verify, read from the node database at start
// and again whenever the config generation changes: the keys in use and the domains (aliases
// included) with batv on. Immutable once loaded; shared by the queue and the bounce listener.
#pragma once
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "batv/prvs.hpp"
#include "config/config.hpp"
#include "util/result.hpp"

namespace pw::store {
class Database;
}

namespace pw::batv {

struct BatvSnapshot {
  KeyRing keys;
  std::set<std::string> domains;       // lower-case, batv on
  std::set<std::string> node_domains;  // lower-case, every domain and alias of the node
  int64_t lifetime_days = 7;
  size_t max_address_length = 320;

  bool enabled_for(std::string_view domain) const;
  // The envelope sender as it goes out: tagged when its domain has batv on and a key exists;
  // the null sender and addresses of other domains unchanged.
  std::string tag_sender(std::string_view mail_from, int64_t now) const;
  Verification verify(std::string_view address, int64_t now) const;
};

// Blocking (database): the snapshot as the database has it now.
Result<std::shared_ptr<const BatvSnapshot>> load_batv_snapshot(store::Database& db,
                                                               const config::BatvConfig& config);

}  // namespace pw::batv
