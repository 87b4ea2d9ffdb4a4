// Attachment scanner (F-MACRO, F-PUA): walks a message's MIME parts and reports documents with
// macros (OLE2 VBA storages, OOXML vbaProject.bin, ODF Basic) and potentially unwanted files
// (executables and scripts by content signature and by name), also inside ZIP archives.
// Trust: the message and every attachment in it are hostile client bytes; every walk is bounded.
//
// How to call it (the policy check for block_macros / block_pua does this):
//   auto limits = pw::scan::attachment_limits(config.scan);  // [scan] from the config registry
//   auto report = pw::scan::scan_attachments(message_bytes, limits);
//   - a Finding with kind "macro" → block_macros applies; kind "pua" → block_pua applies;
//     kind "unreadable" (an entry that could not be read) → either of them refuses it;
//     `file` and `detail` make the reason text ("invoice.zip/invoice.pdf.exe: double extension").
//   - report.limit_hit: the scan stopped before it saw everything (zip bomb, nesting, too many
//     parts or boundary lines to parse (scan/mime_guard), content type database missing); treat it
//     as "not proven clean" and give a verdict (reject or tempfail, the check's choice), never a
//     silent pass.
// It is synchronous CPU work (MIME parsing, inflating archives, libmagic), up to the limits in
// AttachmentLimits: run it on a worker thread, never on an event-loop thread (STYLE 6). It is
// thread-safe: each thread gets its own libmagic handle; GMime is initialised once per process.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mail/message_content.hpp"

namespace pw::scan {

struct ParsedMessage;  // scan/parsed_message.hpp

// The limits come from [scan] in the config registry (scan/attachment_limits.hpp builds them);
// the struct holds no default of its own (issue 16, item 5): zero means "nothing is allowed".
struct AttachmentLimits {
  std::size_t max_parts = 0;  // MIME parts (leaves and containers) in a message
  std::size_t max_depth = 0;  // multipart and message/rfc822 nesting
  // Sum of the transfer-decoded sizes of the inspected parts of one message.
  std::uint64_t max_decoded_bytes = 0;
  // Entries over all archives (and OOXML/ODF containers) of one message.
  std::size_t max_archive_entries = 0;
  // Uncompressed bytes read from all archives of one message (zip bombs).
  std::uint64_t max_archive_expansion = 0;
  // ZIP inside ZIP: an archive attached to the message is level 1.
  std::size_t max_archive_depth = 0;
  // Header fields of all parts: more and the message is not parsed (scan/mime_guard).
  std::size_t max_header_fields = 0;
  // Wall time of one call, checked between parts and archive entries (issue 15, item 4).
  std::uint64_t max_scan_ms = 0;
};

// Finding kinds.
inline constexpr std::string_view kMacro = "macro";
inline constexpr std::string_view kPua = "pua";
// Bytes the scan could not read (encrypted or damaged archive entry, unsupported compression):
// not proven clean, so block_macros and block_pua both refuse it (fail closed).
inline constexpr std::string_view kUnreadable = "unreadable";

struct Finding {
  std::string kind;    // kMacro, kPua or kUnreadable
  std::string file;    // attachment name; "a.zip/b.docm" for an entry of an archive
  std::string detail;  // e.g. "OLE2 VBA storage", "executable (application/x-dosexec)"
};

// F-FUZZY: the exact hash of one attachment (or archive entry), for the admin's hash block list.
struct AttachmentHash {
  std::string file;        // as in Finding::file: "a.zip/b.exe" for an entry of an archive
  std::uint64_t size = 0;  // decoded bytes
  std::string sha256;      // lower-case hex of the decoded bytes
};

struct AttachmentReport {
  std::vector<Finding> findings;
  std::vector<AttachmentHash> hashes;  // every attachment and archive entry read, in walk order
  bool limit_hit = false;              // the scan stopped early: not everything was inspected
  std::string limit_reason;            // the first limit hit, one line
  std::size_t parts = 0;               // MIME parts walked
};

// Parses `message` (RFC 5322 with MIME) and inspects every attachment-like leaf part.
AttachmentReport scan_attachments(std::string_view message, const AttachmentLimits& limits);
// The same for a message whose body may be in a file (issue 17 item 4): read from there in
// pieces, with the same findings.
AttachmentReport scan_attachments(const mail::MessageContent& message,
                                  const AttachmentLimits& limits);
// The same on a parse shared with the text checks (scan/parsed_message.hpp).
AttachmentReport scan_attachments(const ParsedMessage& parsed, const AttachmentLimits& limits);

// Inspects one file's decoded bytes, as if it were an attachment named `name` (a file given to
// `postwarden scan`, or the fuzzer). max_parts, max_depth and max_decoded_bytes do not apply.
AttachmentReport scan_attachment_bytes(std::string_view name, std::string_view content,
                                       const AttachmentLimits& limits);

// Initialises GMime once per process; every user of GMime in scan/ calls it before parsing.
void init_gmime_once();

}  // namespace pw::scan
