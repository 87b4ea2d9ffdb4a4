// The attachment scanner's parts (F-MACRO, F-PUA), shared by its files and by nothing else: the
// state of one scan and the inspections of one file. scan/attachment_scanner.cpp walks the MIME
// tree; ole2_macros.cpp reads OLE2 directories, attachment_names.cpp judges names and content
// types, zip_entries.cpp opens archives and dispatches each file to the others.
// Trust: every byte is hostile (see attachment_scanner.cpp).
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "scan/attachment_scanner.hpp"
#include "util/ascii_text.hpp"

namespace pw::scan::detail {

// ---------------------------------------------------------------------------------------------
// Scan state shared by one call.

struct ScanContext {
  const AttachmentLimits& limits;
  AttachmentReport report;
  std::chrono::steady_clock::time_point deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(limits.max_scan_ms);
  std::uint64_t decoded_bytes = 0;
  std::size_t archive_entries = 0;
  std::uint64_t archive_bytes = 0;

  bool stopped() const { return report.limit_hit; }
  void stop(std::string reason) {
    if (!report.limit_hit) {
      report.limit_hit = true;
      report.limit_reason = std::move(reason);
    }
  }
  // Fail closed on time too: what was not reached in max_scan_ms is not proven clean.
  bool out_of_time() {
    if (std::chrono::steady_clock::now() <= deadline) return false;
    stop("scan took longer than " + std::to_string(limits.max_scan_ms) + " ms");
    return true;
  }
  void add(std::string kind, std::string file, std::string detail) {
    report.findings.push_back({std::move(kind), std::move(file), std::move(detail)});
  }
};

// Fail closed (issue 15, item 11): bytes the scan could not read (an encrypted archive entry, a
// compression method libzip lacks, a CRC error, an archive that does not open) are not proven
// free of macros or executables. They are a finding of their own, which the attachments check
// refuses when block_macros or block_pua is on; the walk goes on to the other parts.
inline void unreadable(const std::string& path, std::string detail, ScanContext& ctx) {
  ctx.add(std::string(kUnreadable), path, std::move(detail));
}

inline std::string lower(std::string_view s) { return util::ascii_lowercase(s); }

inline bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && lower(a) == lower(b);
}

inline bool ends_with_ci(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

inline std::uint16_t le16(std::string_view b, std::size_t at) {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(b[at]) |
                                    (static_cast<unsigned char>(b[at + 1]) << 8));
}

inline std::uint32_t le32(std::string_view b, std::size_t at) {
  return static_cast<std::uint32_t>(le16(b, at)) |
         (static_cast<std::uint32_t>(le16(b, at + 2)) << 16);
}

// OLE2 compound files (ole2_macros.cpp): a VBA storage is a "macro" finding.
bool is_ole2(std::string_view bytes);
void inspect_ole2(std::string_view bytes, const std::string& path, ScanContext& ctx);
// Names and content types (attachment_names.cpp): executables and scripts.
void inspect_name(std::string_view name, const std::string& path, ScanContext& ctx);
void inspect_content_type(std::string_view bytes, const std::string& path, ScanContext& ctx);
// Archives (zip_entries.cpp), and one file of any kind, at `archive_depth` archives deep.
bool is_zip(std::string_view bytes);
void inspect_zip(std::string_view bytes, const std::string& path, std::size_t archive_depth,
                 ScanContext& ctx);
void inspect_file(std::string_view name, std::string_view bytes, const std::string& path,
                  std::size_t archive_depth, ScanContext& ctx);
// The same without the hash (the caller hashed the bytes as they were decoded). `bytes` may be
// the first kHeadBytes of a larger file that is neither an archive nor an OLE2 file: names,
// types and magic need no more.
void inspect_contents(std::string_view name, std::string_view bytes, const std::string& path,
                      std::size_t archive_depth, ScanContext& ctx);
inline constexpr std::size_t kHeadBytes = 1024 * 1024;  // what libmagic is given

}  // namespace pw::scan::detail
