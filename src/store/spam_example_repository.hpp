// The administrator's spam decisions as training examples (F-SPAM learning): a release from
// quarantine is ham, "confirm as spam" is spam. One example per quarantined message (a later
// decision replaces the earlier one); at most `max_kept` examples, the oldest go first, so the
// table stays bounded ([spam] max_learned). Changes bump the config generation (triggers of
// migration 13), so a running gateway rebuilds its model.
// Trust: features come from our own tokenizer; stored rows are checked when read back.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "store/database.hpp"
#include "store/spam_feature_text.hpp"
#include "util/result.hpp"

namespace pw::store {

struct SpamExample {
  int64_t id = 0;
  std::string source;  // the quarantine id the decision was about
  bool spam = false;
  std::vector<std::uint32_t> features;  // sorted, unique
  std::string decided_by;
  int64_t decided_at = 0;
};

struct SpamExampleCounts {
  int64_t spam = 0;
  int64_t ham = 0;
  int64_t newest_id = 0;  // changes with every decision: the gateway's cue to rebuild
  bool operator==(const SpamExampleCounts&) const = default;
};

class SpamExampleRepository {
 public:
  explicit SpamExampleRepository(Database& db) : db_(db) {}

  Result<void> put(const SpamExample& example, std::uint32_t tokenizer, int64_t max_kept);
  // Examples made with `tokenizer` (others cannot be used) with ids above `after_id`, oldest
  // first; features below `feature_limit`.
  Result<std::vector<SpamExample>> all(std::uint32_t tokenizer, std::uint32_t feature_limit,
                                       int64_t after_id = 0);
  Result<SpamExampleCounts> counts();

 private:
  Database& db_;
};

}  // namespace pw::store
