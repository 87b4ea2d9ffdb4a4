// Outbreak detection (F-FUZZY): which users sent the same campaign recently. An in-memory record
// of recent fuzzy fingerprints, each with the distinct users (by user subject) who sent a near
// duplicate and when; near duplicates are found through the fingerprints' LSH band keys.
// Thread-safe (one mutex; called from the blocking pool at the end of DATA). Bounded: at most
// `max_tracked` (campaign, user) entries; beyond it the least recently seen campaigns go first.
// Memory only: a restart forgets the record, which is at most one window of history.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

#include "scan/fuzzy_fingerprint.hpp"

namespace pw::policy {

class OutbreakTracker {
 public:
  explicit OutbreakTracker(std::size_t max_tracked);

  struct Sighting {
    std::size_t users = 0;   // distinct users who sent the campaign within the window, `user` too
    int64_t first_seen = 0;  // when the campaign was first seen (within the record)
  };
  // Records that `user` sent a message with fingerprint `fp` at `now` (unix seconds). A campaign
  // is the tracked fingerprint most similar to `fp` with similarity >= `threshold`; sightings
  // older than `window_seconds` no longer count and are forgotten.
  Sighting record(const scan::FuzzyFingerprint& fp, const std::string& user, int64_t now,
                  int64_t window_seconds, double threshold);

  std::size_t campaigns() const;
  std::size_t entries() const;  // (campaign, user) pairs held

 private:
  struct Campaign {
    scan::FuzzyFingerprint fp;
    std::map<std::string, int64_t> users;  // user subject → last seen
    int64_t first_seen = 0;
    int64_t last_seen = 0;
  };
  void erase_campaign(std::uint64_t id);
  void expire(int64_t cutoff);
  void enforce_bound(std::uint64_t keep);
  void touch(std::uint64_t id, Campaign& campaign, int64_t now);

  const std::size_t max_tracked_;
  mutable std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  std::unordered_map<std::uint64_t, Campaign> campaigns_;
  std::unordered_multimap<std::uint64_t, std::uint64_t> band_index_;  // band key → campaign id
  std::set<std::pair<int64_t, std::uint64_t>> by_last_seen_;          // (last seen, campaign id)
  std::size_t entries_ = 0;
};

}  // namespace pw::policy
