// Outbreak detection (F-FUZZY): the bounded, thread-safe record of recent campaigns and senders.
#include "policy/outbreak_tracker.hpp"

#include <algorithm>
#include <vector>

namespace pw::policy {

OutbreakTracker::OutbreakTracker(std::size_t max_tracked)
    : max_tracked_(std::max<std::size_t>(max_tracked, 1)) {}

std::size_t OutbreakTracker::campaigns() const {
  std::lock_guard lock(mutex_);
  return campaigns_.size();
}

std::size_t OutbreakTracker::entries() const {
  std::lock_guard lock(mutex_);
  return entries_;
}

void OutbreakTracker::erase_campaign(std::uint64_t id) {
  auto it = campaigns_.find(id);
  if (it == campaigns_.end()) return;
  for (std::uint64_t key : it->second.fp.bands()) {
    auto [first, last] = band_index_.equal_range(key);
    for (auto at = first; at != last;) {
      at = at->second == id ? band_index_.erase(at) : std::next(at);
    }
  }
  by_last_seen_.erase({it->second.last_seen, id});
  entries_ -= it->second.users.size();
  campaigns_.erase(it);
}

void OutbreakTracker::expire(int64_t cutoff) {
  while (!by_last_seen_.empty() && by_last_seen_.begin()->first < cutoff) {
    erase_campaign(by_last_seen_.begin()->second);
  }
}

void OutbreakTracker::touch(std::uint64_t id, Campaign& campaign, int64_t now) {
  if (now <= campaign.last_seen) return;
  by_last_seen_.erase({campaign.last_seen, id});
  campaign.last_seen = now;
  by_last_seen_.insert({campaign.last_seen, id});
}

void OutbreakTracker::enforce_bound(std::uint64_t keep) {
  while (entries_ > max_tracked_) {
    auto oldest = std::find_if(by_last_seen_.begin(), by_last_seen_.end(),
                               [keep](const auto& entry) { return entry.second != keep; });
    if (oldest != by_last_seen_.end()) {
      erase_campaign(oldest->second);
      continue;
    }
    // Only the current campaign is left and it alone is over the bound: drop its oldest user.
    auto& users = campaigns_.at(keep).users;
    auto stalest = std::min_element(users.begin(), users.end(), [](const auto& a, const auto& b) {
      return a.second < b.second;
    });
    users.erase(stalest);
    --entries_;
  }
}

OutbreakTracker::Sighting OutbreakTracker::record(const scan::FuzzyFingerprint& fp,
                                                  const std::string& user, int64_t now,
                                                  int64_t window_seconds, double threshold) {
  std::lock_guard lock(mutex_);
  const int64_t cutoff = now - window_seconds;
  expire(cutoff);

  const auto bands = fp.bands();
  std::uint64_t best = 0;
  double best_similarity = -1;
  std::vector<std::uint64_t> seen;
  for (std::uint64_t key : bands) {
    auto [first, last] = band_index_.equal_range(key);
    for (auto at = first; at != last; ++at) {
      if (std::find(seen.begin(), seen.end(), at->second) != seen.end()) continue;
      seen.push_back(at->second);
      const double s = scan::similarity(fp, campaigns_.at(at->second).fp);
      if (s >= threshold && s > best_similarity) {
        best = at->second;
        best_similarity = s;
      }
    }
  }
  if (best == 0) {
    best = next_id_++;
    Campaign campaign;
    campaign.fp = fp;
    campaign.first_seen = now;
    campaign.last_seen = now;
    campaigns_.emplace(best, std::move(campaign));
    by_last_seen_.insert({now, best});
    for (std::uint64_t key : bands) band_index_.emplace(key, best);
  }
  Campaign& campaign = campaigns_.at(best);
  touch(best, campaign, now);
  auto [it, inserted] = campaign.users.try_emplace(user, now);
  if (inserted) {
    ++entries_;
  } else {
    it->second = std::max(it->second, now);
  }
  // Users whose last message of this campaign is older than the window no longer count.
  for (auto at = campaign.users.begin(); at != campaign.users.end();) {
    if (at->second < cutoff) {
      at = campaign.users.erase(at);
      --entries_;
    } else {
      ++at;
    }
  }
  enforce_bound(best);
  return {campaign.users.size(), campaign.first_seen};
}

}  // namespace pw::policy
