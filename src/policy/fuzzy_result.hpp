// What F-FUZZY found in one message, for the policy checks (Transaction::fuzzy) and the spam
// score: a hash block list hit, and how many users sent the same campaign recently.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace pw::policy {

struct FuzzyBlockHit {
  int64_t id = 0;         // the block list entry
  std::string kind;       // "sha256" or "fuzzy"
  std::string note;       // the admin's note ("" = none)
  std::string file;       // sha256: the attachment ("a.zip/b.exe"); fuzzy: ""
  double similarity = 1;  // fuzzy: similarity to the listed fingerprint; sha256: 1
};

struct FuzzyResult {
  std::string fingerprint;  // "fz1:..." of the body text; "" when too short to fingerprint
  std::optional<FuzzyBlockHit> block_hit;
  // Distinct users (this one included) who sent the same campaign within the window; 0 when the
  // message has no fingerprint.
  int64_t outbreak_users = 0;
  int64_t outbreak_threshold = 0;       // [fuzzy] outbreak_users
  int64_t outbreak_window_minutes = 0;  // [fuzzy] outbreak_window_minutes
  // [fuzzy] outbreak_score when outbreak_users >= outbreak_threshold, else 0: the spam
  // classifier adds it to its score.
  int64_t outbreak_score = 0;

  bool outbreak() const { return outbreak_threshold > 0 && outbreak_users >= outbreak_threshold; }
};

}  // namespace pw::policy
