#include "scan/attachment_limits.hpp"

namespace pw::scan {

AttachmentLimits attachment_limits(const config::ScanConfig& c) {
  AttachmentLimits limits;
  limits.max_parts = static_cast<size_t>(c.max_parts);
  limits.max_depth = static_cast<size_t>(c.max_depth);
  limits.max_decoded_bytes = static_cast<uint64_t>(c.max_decoded_bytes);
  limits.max_archive_entries = static_cast<size_t>(c.max_archive_entries);
  limits.max_archive_expansion = static_cast<uint64_t>(c.max_archive_expansion);
  limits.max_archive_depth = static_cast<size_t>(c.max_archive_depth);
  limits.max_scan_ms = static_cast<uint64_t>(c.max_scan_ms);
  limits.max_header_fields = static_cast<size_t>(c.max_header_fields);
  return limits;
}

MimeTextLimits mime_text_limits(const config::ScanConfig& c) {
  MimeTextLimits limits;
  limits.max_parts = static_cast<size_t>(c.max_parts);
  limits.max_depth = static_cast<size_t>(c.max_depth);
  limits.max_decoded_bytes = static_cast<uint64_t>(c.max_decoded_bytes);
  limits.max_part_text = static_cast<uint64_t>(c.max_text_part_bytes);
  limits.max_scan_ms = static_cast<uint64_t>(c.max_scan_ms);
  limits.max_header_fields = static_cast<size_t>(c.max_header_fields);
  return limits;
}

SpamCutoffs spam_cutoffs(const config::SpamConfig& spam, std::optional<int64_t> domain_threshold) {
  return {static_cast<double>(domain_threshold.value_or(spam.threshold)),
          static_cast<double>(spam.unsure_threshold), static_cast<size_t>(spam.min_known_tokens)};
}

}  // namespace pw::scan
