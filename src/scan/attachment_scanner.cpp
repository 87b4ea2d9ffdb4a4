// Attachment scanner (F-MACRO, F-PUA): the MIME walk with GMime; each part goes to the
// inspections of scan/attachment_walk.hpp (archives with libzip, content types with libmagic,
// and a minimal OLE2 directory reader written here, see ole2_macros.cpp).
// Trust: every byte is hostile: lengths, offsets, sector chains and archive headers are checked
// before use, and every loop is bounded by the input size or by AttachmentLimits.
#include "scan/attachment_scanner.hpp"

#include <gmime/gmime.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "scan/attachment_walk.hpp"
#include "scan/gmime_stream.hpp"
#include "scan/mime_guard.hpp"
#include "scan/parsed_message.hpp"
#include "util/ascii_text.hpp"
#include "util/sha256.hpp"

namespace pw::scan {
namespace {

using detail::inspect_file;
using detail::inspect_name;
using detail::ScanContext;
using detail::unreadable;

// ---------------------------------------------------------------------------------------------
// MIME (GMime).

std::string display_name(GMimePart* part, std::size_t index) {
  const char* filename = g_mime_part_get_filename(part);
  if (filename != nullptr && *filename != '\0') return filename;
  return "part" + std::to_string(index);
}

void walk(GMimeObject* object, std::size_t depth, const std::string& prefix, ScanContext& ctx);

// One part's decoded bytes, read in pieces: all hashed; kept only as far as the inspections need
// them (the first kHeadBytes), or whole for an archive or an OLE2 file, which are read whole.
struct DecodedPart {
  std::string kept;
  std::string hash;
  std::uint64_t size = 0;
};

bool keep_whole(std::string_view head) { return detail::is_zip(head) || detail::is_ole2(head); }

// False when the part cannot be decoded or the decoded bytes of the message pass the budget
// (then ctx is stopped).
bool decode(GMimeDataWrapper* wrapper, DecodedPart& out, ScanContext& ctx) {
  GPtr<GMimeStream> decoded = decoded_content(wrapper);
  if (!decoded) return false;
  util::Sha256 hash;
  bool whole = false;
  std::array<char, 65536> buffer;
  while (!g_mime_stream_eos(decoded.get())) {
    const ssize_t n = g_mime_stream_read(decoded.get(), buffer.data(), buffer.size());
    if (n < 0) return false;
    const std::string_view piece(buffer.data(), static_cast<std::size_t>(n));
    out.size += piece.size();
    ctx.decoded_bytes += piece.size();
    if (ctx.decoded_bytes > ctx.limits.max_decoded_bytes) {
      ctx.stop("attachments decode to more than " + std::to_string(ctx.limits.max_decoded_bytes) +
               " bytes");
      return false;
    }
    hash.update(piece);
    if (whole || out.kept.size() < detail::kHeadBytes) {
      out.kept.append(piece);
      if (!whole && out.kept.size() >= detail::kHeadBytes) whole = keep_whole(out.kept);
    }
  }
  out.hash = hash.hex();
  return true;
}

void inspect_leaf(GMimePart* part, const std::string& prefix, ScanContext& ctx) {
  GMimeObject* object = GMIME_OBJECT(part);
  const char* filename = g_mime_part_get_filename(part);
  const bool has_name = filename != nullptr && *filename != '\0';
  GMimeContentType* type = g_mime_object_get_content_type(object);
  const bool text = type == nullptr || g_mime_content_type_is_type(type, "text", "*");
  GMimeContentDisposition* disposition = g_mime_object_get_content_disposition(object);
  const bool attachment =
      disposition != nullptr && g_mime_content_disposition_is_attachment(disposition);
  if (!has_name && text && !attachment) return;  // a message body, not an attachment

  const std::string path = prefix + display_name(part, ctx.report.parts);
  GMimeDataWrapper* wrapper = g_mime_part_get_content(part);
  if (wrapper == nullptr) {
    if (has_name) inspect_name(filename, path, ctx);
    return;
  }
  DecodedPart decoded;
  if (!decode(wrapper, decoded, ctx)) {
    if (ctx.stopped()) return;
    if (has_name) inspect_name(filename, path, ctx);
    unreadable(path, "attachment cannot be decoded", ctx);
    return;
  }
  if (!decoded.hash.empty())  // F-FUZZY
    ctx.report.hashes.push_back({path, decoded.size, std::move(decoded.hash)});
  inspect_contents(has_name ? std::string_view(filename) : std::string_view(), decoded.kept, path,
                   0, ctx);
}

void walk(GMimeObject* object, std::size_t depth, const std::string& prefix, ScanContext& ctx) {
  if (object == nullptr || ctx.stopped() || ctx.out_of_time()) return;
  if (depth > ctx.limits.max_depth) {
    ctx.stop("MIME parts nested deeper than " + std::to_string(ctx.limits.max_depth));
    return;
  }
  if (++ctx.report.parts > ctx.limits.max_parts) {
    ctx.stop("message has more than " + std::to_string(ctx.limits.max_parts) + " MIME parts");
    return;
  }
  if (GMIME_IS_MULTIPART(object)) {
    GMimeMultipart* multipart = GMIME_MULTIPART(object);
    const int count = g_mime_multipart_get_count(multipart);
    for (int i = 0; i < count && !ctx.stopped(); ++i) {
      walk(g_mime_multipart_get_part(multipart, i), depth + 1, prefix, ctx);
    }
  } else if (GMIME_IS_MESSAGE_PART(object)) {
    GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
    if (inner == nullptr) return;
    // Findings inside a forwarded message name it: "forward.eml/report.docm".
    GMimeContentDisposition* disposition = g_mime_object_get_content_disposition(object);
    const char* name =
        disposition ? g_mime_content_disposition_get_parameter(disposition, "filename") : nullptr;
    std::string inner_prefix = prefix;
    if (name != nullptr && *name != '\0') inner_prefix += std::string(name) + "/";
    walk(g_mime_message_get_mime_part(inner), depth + 1, inner_prefix, ctx);
  } else if (GMIME_IS_PART(object)) {
    inspect_leaf(GMIME_PART(object), prefix, ctx);
  }
}

}  // namespace

void init_gmime_once() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

AttachmentReport scan_attachments(std::string_view message, const AttachmentLimits& limits) {
  return scan_attachments(mail::MessageContent{message, {}}, limits);
}

AttachmentReport scan_attachments(const mail::MessageContent& message,
                                  const AttachmentLimits& limits) {
  return scan_attachments(parse_for_scans(message, limits.max_parts, limits.max_header_fields),
                          limits);
}

AttachmentReport scan_attachments(const ParsedMessage& parsed, const AttachmentLimits& limits) {
  ScanContext ctx{limits, {}};
  // Fail closed: a message GMime would blow up into more parts than the limit is not parsed.
  if (!parsed.refusal.empty()) {
    ctx.stop(parsed.refusal);
    return std::move(ctx.report);
  }
  // No bytes, or no headers at all: nothing is an attachment.
  if (!parsed.message) return std::move(ctx.report);
  walk(g_mime_message_get_mime_part(parsed.message.get()), 0, "", ctx);
  return std::move(ctx.report);
}

AttachmentReport scan_attachment_bytes(std::string_view name, std::string_view content,
                                       const AttachmentLimits& limits) {
  ScanContext ctx{limits, {}};
  const std::string path = name.empty() ? std::string("file") : std::string(name);
  inspect_file(name, content, path, 0, ctx);
  return std::move(ctx.report);
}

}  // namespace pw::scan
