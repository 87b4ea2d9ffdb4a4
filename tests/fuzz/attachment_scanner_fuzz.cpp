// Fuzzes the attachment scanner (F-MACRO, F-PUA) with small limits.
// Input: the whole input as a message (scan_attachments) and again as one attachment's bytes
// (scan_attachment_bytes), so ZIP, OLE2 and libmagic paths are reached without MIME wrapping.
// Promises checked: no crash, hang or leak; findings name a kind ("macro", "pua", "unreadable"), a
// file and a detail; a limit hit carries a reason; parts never exceed the part limit.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "scan/attachment_scanner.hpp"

namespace {

void check(bool promise) {
  if (!promise) std::abort();
}

void check_report(const pw::scan::AttachmentReport& report,
                  const pw::scan::AttachmentLimits& limits) {
  for (const auto& f : report.findings) {
    check(f.kind == pw::scan::kMacro || f.kind == pw::scan::kPua ||
          f.kind == pw::scan::kUnreadable);
    check(!f.file.empty() && !f.detail.empty());
  }
  check(report.limit_hit == !report.limit_reason.empty());
  check(report.parts <= limits.max_parts + 1);  // the part that crossed the limit is counted
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  pw::scan::AttachmentLimits limits;
  limits.max_parts = 50;
  limits.max_depth = 5;
  limits.max_decoded_bytes = 1024 * 1024;
  limits.max_archive_entries = 50;
  limits.max_archive_expansion = 4 * 1024 * 1024;
  limits.max_archive_depth = 2;
  limits.max_header_fields = 1000;
  limits.max_scan_ms = 2000;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_report(pw::scan::scan_attachments(input, limits), limits);
  check_report(pw::scan::scan_attachment_bytes("fuzz.bin", input, limits), limits);
  return 0;
}
