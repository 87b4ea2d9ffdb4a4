// F-BATV: the rows behind the tag keys (numbers 0-9 with their random secrets) and the
// per-domain switch `domain set D batv=on|off`. Rotation and retirement are decided in
// batv/batv_keys; this file only reads and writes them.
// Trust: domain names come from the admin's command line (validated here); secrets are stored as
// hex and never leave through list() callers' output.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.hpp"
#include "util/result.hpp"

namespace pw::store {

struct BatvKey {
  int64_t id = 0;
  int number = 0;
  std::string secret;  // raw bytes
  int64_t created_at = 0;
  int64_t superseded_at = 0;  // when the next key was made; 0 = the current key
  std::optional<int64_t> retired_at;
};

class BatvKeyRepository {
 public:
  explicit BatvKeyRepository(Database& db) : db_(db) {}

  // Every key ever made, newest first (secrets included: callers must not print them).
  Result<std::vector<BatvKey>> list();
  // Stores a new key; returns its id.
  Result<int64_t> insert(int number, std::string_view secret, int64_t now);
  // Retires the key `id` (when not retired yet).
  Result<void> retire(int64_t id, int64_t now);
  // Retires whatever key in use holds `number`.
  Result<void> retire_number(int number, int64_t now);

  // The per-domain switch; an unknown domain is an error.
  Result<void> set_domain_flag(std::string_view domain, bool on);
  Result<bool> domain_batv(std::string_view domain);
  // Lower-case names of the domains with batv on, and of their aliases.
  Result<std::vector<std::string>> batv_domains();
  // Lower-case names of every domain of the node and of their aliases.
  Result<std::vector<std::string>> node_domains();

 private:
  Database& db_;
};

}  // namespace pw::store
