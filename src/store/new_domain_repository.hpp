// The newly registered domains of the NRD feed (F-NRD) in the `new_domains` table: import
// (upsert), list, and look-up by name. The gateway reads the recent ones with its policy snapshot.
// Trust: rows come from an admin-imported third-party feed, already validated by scan/nrd_feed.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "store/database.hpp"
#include "util/result.hpp"

namespace pw::store {

struct NewDomainRecord {
  std::string domain;  // canonical, lower-case
  int64_t registered_at = 0;
  int64_t imported_at = 0;
};

class NewDomainRepository {
 public:
  explicit NewDomainRepository(Database& db) : db_(db) {}

  // Inserts or updates every record in one transaction and bumps config_generation once, so a
  // running gateway reloads; all or nothing. Returns how many were written.
  Result<size_t> import(std::span<const NewDomainRecord> records);
  // Every domain, youngest first.
  Result<std::vector<NewDomainRecord>> list();
  Result<std::optional<NewDomainRecord>> find(const std::string& domain);

 private:
  Database& db_;
};

}  // namespace pw::store
