// The in-memory hash block list: a map for SHA-256 values, an LSH band index for fingerprints.
#include "policy/hash_block_list.hpp"

#include <algorithm>

namespace pw::policy {

HashBlockList::HashBlockList(std::vector<store::HashBlock> entries) : entries_(std::move(entries)) {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const auto& e = entries_[i];
    if (e.kind == store::kHashKindSha256) {
      sha256_.emplace(e.value, i);
    } else if (e.kind == store::kHashKindFuzzy) {
      auto fp = scan::FuzzyFingerprint::parse(e.value);
      if (!fp) continue;
      for (std::uint64_t key : fp->bands()) band_index_.emplace(key, fuzzy_.size());
      fuzzy_.emplace_back(*fp, i);
    }
  }
}

const store::HashBlock* HashBlockList::find_sha256(std::string_view sha256_hex) const {
  auto it = sha256_.find(sha256_hex);
  return it == sha256_.end() ? nullptr : &entries_[it->second];
}

std::optional<HashBlockList::FuzzyMatch> HashBlockList::find_fuzzy(const scan::FuzzyFingerprint& fp,
                                                                   double threshold) const {
  std::optional<FuzzyMatch> best;
  std::vector<std::size_t> seen;
  for (std::uint64_t key : fp.bands()) {
    auto [first, last] = band_index_.equal_range(key);
    for (auto at = first; at != last; ++at) {
      if (std::find(seen.begin(), seen.end(), at->second) != seen.end()) continue;
      seen.push_back(at->second);
      const auto& [listed, entry] = fuzzy_[at->second];
      const double s = scan::similarity(fp, listed);
      if (s >= threshold && (!best || s > best->similarity)) best = FuzzyMatch{&entries_[entry], s};
    }
  }
  return best;
}

Result<HashBlockList> load_hash_block_list(store::Database& db) {
  auto entries = store::HashBlockRepository(db).list();
  if (!entries) return tl::unexpected(entries.error());
  return HashBlockList(std::move(*entries));
}

}  // namespace pw::policy
