// The admin's hash block list as the policy checks read it (F-FUZZY): exact SHA-256 lookups and
// near-duplicate lookups of fuzzy fingerprints through their LSH band keys. Immutable; part of
// the policy snapshot, rebuilt when the config generation moves.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "scan/fuzzy_fingerprint.hpp"
#include "store/hash_block_repository.hpp"

namespace pw::store {
class Database;
}

namespace pw::policy {

class HashBlockList {
 public:
  HashBlockList() = default;
  // Entries with a value that does not parse are skipped (the repository never stores one).
  explicit HashBlockList(std::vector<store::HashBlock> entries);

  bool has_sha256() const { return !sha256_.empty(); }
  bool has_fuzzy() const { return !fuzzy_.empty(); }
  std::size_t size() const { return entries_.size(); }

  // The entry listing `sha256_hex` (lower-case), or null.
  const store::HashBlock* find_sha256(std::string_view sha256_hex) const;

  struct FuzzyMatch {
    const store::HashBlock* entry = nullptr;
    double similarity = 0;
  };
  // The most similar listed fingerprint with similarity >= threshold, if any.
  std::optional<FuzzyMatch> find_fuzzy(const scan::FuzzyFingerprint& fp, double threshold) const;

 private:
  std::vector<store::HashBlock> entries_;
  std::map<std::string, std::size_t, std::less<>> sha256_;  // value → index in entries_
  std::vector<std::pair<scan::FuzzyFingerprint, std::size_t>> fuzzy_;
  std::unordered_multimap<std::uint64_t, std::size_t> band_index_;  // band key → index in fuzzy_
};

Result<HashBlockList> load_hash_block_list(store::Database& db);

}  // namespace pw::policy
