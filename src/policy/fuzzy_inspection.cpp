// F-FUZZY's per-message work: body text → fingerprint → block list and outbreak tracker.
#include "policy/fuzzy_inspection.hpp"

#include "scan/attachment_limits.hpp"
#include "scan/fuzzy_body_text.hpp"
#include "scan/fuzzy_fingerprint.hpp"

namespace pw::policy {

FuzzyOptions FuzzyOptions::from(const config::FuzzyConfig& c, const config::ScanConfig& scan) {
  FuzzyOptions o;
  o.text_limits = scan::mime_text_limits(scan);
  o.match_threshold = static_cast<double>(c.match_threshold) / 100.0;
  o.min_shingles = static_cast<std::size_t>(c.min_shingles);
  o.max_text_bytes = static_cast<std::size_t>(c.max_text_bytes);
  o.outbreak_window_seconds = c.outbreak_window_minutes * 60;
  o.outbreak_users = c.outbreak_users;
  o.outbreak_score = c.outbreak_score;
  return o;
}

FuzzyResult inspect_fuzzy(std::string_view message, const scan::AttachmentReport* attachments,
                          const HashBlockList& blocks, OutbreakTracker* tracker,
                          const std::string& user_subject, int64_t now,
                          const FuzzyOptions& options) {
  return inspect_fuzzy_text(
      scan::fuzzy_body_text(message, options.max_text_bytes, options.text_limits), attachments,
      blocks, tracker, user_subject, now, options);
}

FuzzyResult inspect_fuzzy_text(std::string_view body_text,
                               const scan::AttachmentReport* attachments,
                               const HashBlockList& blocks, OutbreakTracker* tracker,
                               const std::string& user_subject, int64_t now,
                               const FuzzyOptions& options) {
  FuzzyResult result;
  result.outbreak_threshold = options.outbreak_users;
  result.outbreak_window_minutes = options.outbreak_window_seconds / 60;
  if (attachments != nullptr && blocks.has_sha256()) {
    for (const auto& hash : attachments->hashes) {
      if (const auto* entry = blocks.find_sha256(hash.sha256)) {
        result.block_hit = FuzzyBlockHit{entry->id, entry->kind, entry->note, hash.file, 1.0};
        break;
      }
    }
  }
  const std::string_view text = body_text.substr(0, options.max_text_bytes);
  const auto fp = scan::fuzzy_fingerprint(text, options.min_shingles);
  if (!fp) return result;
  result.fingerprint = fp->to_string();
  if (!result.block_hit) {
    if (auto match = blocks.find_fuzzy(*fp, options.match_threshold)) {
      result.block_hit = FuzzyBlockHit{match->entry->id, match->entry->kind, match->entry->note, "",
                                       match->similarity};
    }
  }
  if (tracker != nullptr) {
    const auto sighting = tracker->record(*fp, user_subject, now, options.outbreak_window_seconds,
                                          options.match_threshold);
    result.outbreak_users = static_cast<int64_t>(sighting.users);
    if (result.outbreak()) result.outbreak_score = options.outbreak_score;
  }
  return result;
}

}  // namespace pw::policy
