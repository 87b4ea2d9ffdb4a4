// DKIM signing keys for the CLI and the REST API (F-DKIM, F-PANEL): list, make, show, remove,
// each with the DNS record to publish. A domain admin manages its own domain's keys only (403).
// Blocking (key generation, files): call from a worker thread.
#pragma once
#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "dkim/key_store.hpp"
#include "service/actor.hpp"
#include "service/outcome.hpp"
#include "store/database.hpp"

namespace pw::service {

// `db` resolves a domain admin's aliases; it may be null for an administrator (the CLI reads
// keys without opening the database).
Outcome<std::vector<dkim::KeyInfo>> list_dkim_keys(const Actor& actor, store::Database* db,
                                                   const std::filesystem::path& data_dir,
                                                   const std::optional<std::string>& domain);
Outcome<dkim::KeyInfo> show_dkim_key(const Actor& actor, store::Database* db,
                                     const std::filesystem::path& data_dir,
                                     const std::string& domain, const std::string& selector);

struct DkimKeyRequest {
  std::string domain, selector;
  std::string algorithm;  // "" = [dkim] default_algorithm
  int bits = 0;           // 0 = [dkim] rsa_bits
  bool force = false;     // replace an existing key (409 otherwise)
};
Outcome<dkim::KeyInfo> generate_dkim_key(const Actor& actor, store::Database* db,
                                         const std::filesystem::path& data_dir,
                                         const config::Config& config,
                                         const DkimKeyRequest& request);
Outcome<void> remove_dkim_key(const Actor& actor, store::Database* db,
                              const std::filesystem::path& data_dir, const std::string& domain,
                              const std::string& selector);

// {"domain","selector","algorithm","bits","created","dns_name","dns_value","zone_line"}: what
// `dkim keygen|show` prints, for the panel.
nlohmann::json dkim_key_json(const dkim::KeyInfo& info);

}  // namespace pw::service
