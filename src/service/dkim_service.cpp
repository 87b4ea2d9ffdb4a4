// See dkim_service.hpp.
#include "service/dkim_service.hpp"

#include <nlohmann/json.hpp>

#include "dkim/private_key.hpp"
#include "mail/name_syntax.hpp"
#include "service/paging.hpp"
#include "service/scope.hpp"
#include "util/ascii_text.hpp"

namespace pw::service {
namespace {

Outcome<void> may_manage(const Actor& actor, store::Database* db, std::string_view domain) {
  if (actor.is_admin()) return {};
  if (!db) return forbidden();
  return require_domain_access(actor, *db, util::ascii_lowercase(domain));
}

// KeyStore's errors as failures: a missing key is 404, one that exists already 409.
tl::unexpected<Failure> key_failure(const Error& error) {
  if (error.message.starts_with("no key for selector"))
    return refuse(Failure::Kind::kNotFound, error.message);
  if (error.message.starts_with("a key for selector"))
    return refuse(Failure::Kind::kConflict, error.message);
  return from_error(error);
}

}  // namespace

Outcome<std::vector<dkim::KeyInfo>> list_dkim_keys(const Actor& actor, store::Database* db,
                                                   const std::filesystem::path& data_dir,
                                                   const std::optional<std::string>& domain) {
  if (domain)
    if (auto ok = may_manage(actor, db, *domain); !ok) return tl::unexpected(ok.error());
  if (!actor.is_admin() && actor.domain.empty()) return forbidden();
  auto keys = dkim::KeyStore(dkim::KeyStore::default_dir(data_dir)).list();
  if (!keys) return from_error(keys.error(), Failure::Kind::kInternal);
  if (!domain && actor.is_admin()) return std::move(*keys);
  std::vector<dkim::KeyInfo> out;
  for (auto& key : *keys) {
    if (domain && key.domain != util::ascii_lowercase(*domain)) continue;
    if (!actor.is_admin() && !may_manage(actor, db, key.domain)) continue;
    out.push_back(std::move(key));
  }
  return out;
}

Outcome<dkim::KeyInfo> show_dkim_key(const Actor& actor, store::Database* db,
                                     const std::filesystem::path& data_dir,
                                     const std::string& domain, const std::string& selector) {
  if (auto ok = may_manage(actor, db, domain); !ok) return tl::unexpected(ok.error());
  auto info = dkim::KeyStore(dkim::KeyStore::default_dir(data_dir)).info(domain, selector);
  if (!info) return key_failure(info.error());
  return std::move(*info);
}

Outcome<dkim::KeyInfo> generate_dkim_key(const Actor& actor, store::Database* db,
                                         const std::filesystem::path& data_dir,
                                         const config::Config& config, const DkimKeyRequest& r) {
  if (auto ok = may_manage(actor, db, r.domain); !ok) return tl::unexpected(ok.error());
  auto type =
      dkim::parse_key_type(r.algorithm.empty() ? config.dkim.default_algorithm : r.algorithm);
  if (!type) return from_error(type.error());
  int bits = r.bits ? r.bits : static_cast<int>(config.dkim.rsa_bits);
  auto info = dkim::KeyStore(dkim::KeyStore::default_dir(data_dir))
                  .generate(r.domain, r.selector, *type, bits, r.force);
  if (!info) return key_failure(info.error());
  return std::move(*info);
}

Outcome<void> remove_dkim_key(const Actor& actor, store::Database* db,
                              const std::filesystem::path& data_dir, const std::string& domain,
                              const std::string& selector) {
  if (auto ok = may_manage(actor, db, domain); !ok) return tl::unexpected(ok.error());
  if (auto r = dkim::KeyStore(dkim::KeyStore::default_dir(data_dir)).remove(domain, selector); !r)
    return key_failure(r.error());
  return {};
}

nlohmann::json dkim_key_json(const dkim::KeyInfo& info) {
  return {{"domain", info.domain},
          {"selector", info.selector},
          {"algorithm", std::string(dkim::to_string(info.type))},
          {"signing_algorithm", std::string(dkim::signing_algorithm(info.type))},
          {"bits", info.bits},
          {"created", iso_time(info.modified_at)},
          {"dns_name", info.dns_name()},
          {"dns_value", info.record},
          {"zone_line", dkim::zone_file_line(info.dns_name(), info.record)}};
}

}  // namespace pw::service
