// The latest spam messages per subject, bounded, least recently counted subjects evicted first.
#include "policy/spam_evidence.hpp"

#include <algorithm>

namespace pw::policy {

std::string_view to_string(SpamOutcome outcome) {
  switch (outcome) {
    case SpamOutcome::kHeld:
      return "held in quarantine";
    case SpamOutcome::kRefused:
      return "refused";
    case SpamOutcome::kDiscarded:
      return "discarded";
    case SpamOutcome::kSent:
      return "sent (spam not blocked)";
  }
  return "held in quarantine";
}

SpamEvidence::SpamEvidence(size_t max_subjects, size_t per_subject)
    : max_subjects_(std::max<size_t>(max_subjects, 1)),
      per_subject_(std::max<size_t>(per_subject, 1)) {}

void SpamEvidence::record(const std::string& subject, SpamMessage message) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(subject);
  if (it == entries_.end()) {
    if (entries_.size() >= max_subjects_) {
      entries_.erase(order_.back());
      order_.pop_back();
    }
    order_.push_front(subject);
    it = entries_.emplace(subject, Entry{{}, order_.begin()}).first;
  } else {
    order_.splice(order_.begin(), order_, it->second.order);
  }
  auto& messages = it->second.messages;
  messages.push_back(std::move(message));
  while (messages.size() > per_subject_) messages.pop_front();
}

std::vector<SpamMessage> SpamEvidence::recent(const std::string& subject, int64_t since,
                                              size_t limit) const {
  std::lock_guard lock(mutex_);
  std::vector<SpamMessage> out;
  auto it = entries_.find(subject);
  if (it == entries_.end() || limit == 0) return out;
  for (auto m = it->second.messages.rbegin(); m != it->second.messages.rend(); ++m) {
    if (m->at < since || out.size() == limit) break;
    out.push_back(*m);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

size_t SpamEvidence::subjects() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace pw::policy
