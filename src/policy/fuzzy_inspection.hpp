// F-FUZZY at the end of DATA: fingerprints the body text, looks the fingerprint and the
// attachments' SHA-256 hashes up in the hash block list, and records the fingerprint in the
// outbreak tracker. Blocking CPU work (MIME parse, hashing): run it on the blocking pool.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "policy/fuzzy_result.hpp"
#include "policy/hash_block_list.hpp"
#include "policy/outbreak_tracker.hpp"
#include "scan/attachment_scanner.hpp"
#include "scan/mime_text.hpp"

namespace pw::policy {

struct FuzzyOptions {
  double match_threshold = 0;  // 0..1
  std::size_t min_shingles = 0;
  std::size_t max_text_bytes = 0;
  int64_t outbreak_window_seconds = 0;
  int64_t outbreak_users = 0;
  int64_t outbreak_score = 0;
  scan::MimeTextLimits text_limits;  // the node's [scan] limits for the MIME walk

  static FuzzyOptions from(const config::FuzzyConfig& fuzzy, const config::ScanConfig& scan);
};

// `attachments`: the attachment scan when one ran (its hashes are looked up), else null.
// `tracker`: null when outbreak detection is off (unit tests of the check).
FuzzyResult inspect_fuzzy(std::string_view message, const scan::AttachmentReport* attachments,
                          const HashBlockList& blocks, OutbreakTracker* tracker,
                          const std::string& user_subject, int64_t now,
                          const FuzzyOptions& options);
// The same with the body text already extracted (scan::extract_message_text's `text`), so the
// session walks a message's MIME once for the fingerprint and the classifier.
FuzzyResult inspect_fuzzy_text(std::string_view body_text,
                               const scan::AttachmentReport* attachments,
                               const HashBlockList& blocks, OutbreakTracker* tracker,
                               const std::string& user_subject, int64_t now,
                               const FuzzyOptions& options);

}  // namespace pw::policy
