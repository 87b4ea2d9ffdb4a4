// The readable text of a message, with GMime (initialised once per process by the attachment
// scanner's init_gmime_once). Trust: hostile bytes; the same pre-parse guard as the attachment
// scanner (scan/mime_guard: Content-Type and boundary lines) bounds GMime's own recursion, and the
// walk counts parts, nesting and decoded bytes against MimeTextLimits.
#include "scan/mime_text.hpp"

#include <gmime/gmime.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include "scan/gmime_stream.hpp"
#include "scan/mime_guard.hpp"
#include "scan/parsed_message.hpp"

namespace pw::scan {
namespace {

struct GFreeDeleter {
  void operator()(char* p) const { g_free(p); }
};
using GString = std::unique_ptr<char, GFreeDeleter>;

struct Walk {
  const MimeTextLimits& limits;
  MessageText& out;
  std::uint64_t decoded = 0;
  std::chrono::steady_clock::time_point deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(limits.max_scan_ms);

  bool out_of_time() {
    if (std::chrono::steady_clock::now() <= deadline) return false;
    stop("text scan took longer than " + std::to_string(limits.max_scan_ms) + " ms");
    return true;
  }

  bool stopped() const { return out.limit_hit; }
  void stop(std::string reason) {
    if (!out.limit_hit) {
      out.limit_hit = true;
      out.limit_reason = std::move(reason);
    }
  }
};

// Length of the valid UTF-8 sequence at s[i], 0 when it is not one.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF)
    n = 2;
  else if (b >= 0xE0 && b <= 0xEF)
    n = 3;
  else if (b >= 0xF0 && b <= 0xF4)
    n = 4;
  else
    return 0;
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  return n;
}

// Text whose charset was not declared (or not known to iconv) is usually Latin-1 or
// Windows-1252: valid UTF-8 sequences are kept, every other byte is read as Latin-1, so the
// result is always valid UTF-8 (JSON output and tokens rely on it).
std::string to_valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    if (std::size_t n = utf8_sequence(s, i)) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      append_utf8(out, static_cast<unsigned char>(s[i]));
      ++i;
    }
  }
  return out;
}

std::string header(GMimeObject* object, const char* name, bool* present = nullptr) {
  const char* raw = g_mime_object_get_header(object, name);
  if (present) *present = raw != nullptr;
  if (raw == nullptr) return {};
  GString decoded(g_mime_utils_header_decode_text(nullptr, raw));
  return to_valid_utf8(decoded ? decoded.get() : raw);
}

void append_block(std::string& target, std::string_view text) {
  if (text.empty()) return;
  if (!target.empty()) target += "\n\n";
  target += text;
}

void walk(GMimeObject* object, std::size_t depth, Walk& w);

// The first `cap` bytes of a large text part, decoded (base64, quoted-printable) and converted
// from its charset to UTF-8 as g_mime_text_part_get_text does, read in pieces from the stream.
std::string capped_text(GMimeTextPart* part, std::uint64_t cap) {
  GPtr<GMimeStream> text = decoded_content(g_mime_part_get_content(GMIME_PART(part)));
  if (!text) return {};
  const char* charset = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
  if (charset != nullptr && g_ascii_strcasecmp(charset, "utf-8") != 0 &&
      g_ascii_strcasecmp(charset, "us-ascii") != 0) {
    GPtr<GMimeFilter> filter(g_mime_filter_charset_new(charset, "utf-8"));
    if (filter) g_mime_stream_filter_add(GMIME_STREAM_FILTER(text.get()), filter.get());
  }
  std::string out;
  char buffer[65536];
  while (out.size() < cap && !g_mime_stream_eos(text.get())) {
    const ssize_t n = g_mime_stream_read(text.get(), buffer, sizeof buffer);
    if (n < 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  if (out.size() > cap) out.resize(cap);
  return out;
}

// The part's text: all of it (GMime's own decoding), or the first max_part_text bytes of a part
// whose encoded bytes are more (so a huge part is never held whole).
std::string part_text(GMimeTextPart* part, const MimeTextLimits& limits) {
  GMimeDataWrapper* content = g_mime_part_get_content(GMIME_PART(part));
  GMimeStream* raw = content ? g_mime_data_wrapper_get_stream(content) : nullptr;
  const gint64 length = raw ? g_mime_stream_length(raw) : -1;
  if (limits.max_part_text > 0 &&
      (length < 0 || static_cast<std::uint64_t>(length) > limits.max_part_text))
    return capped_text(part, limits.max_part_text);
  GString text(g_mime_text_part_get_text(part));
  return text ? std::string(text.get()) : std::string();
}

void read_text_part(GMimeTextPart* part, bool html, Walk& w) {
  const std::string whole = part_text(part, w.limits);
  const std::string_view bytes(whole);
  w.decoded += bytes.size();
  if (w.decoded > w.limits.max_decoded_bytes) {
    w.stop("text parts decode to more than " + std::to_string(w.limits.max_decoded_bytes) +
           " bytes");
    return;
  }
  const std::string utf8 = to_valid_utf8(bytes);
  if (html) {
    ++w.out.html_parts;
    HtmlText h = html_to_text(utf8);
    append_block(w.out.html_text, h.text);
    append_block(w.out.hidden_text, h.hidden_text);
    w.out.images += h.images;
    for (auto& link : h.links) {
      if (w.out.links.size() >= kMaxHtmlLinks) break;
      w.out.links.push_back(std::move(link));
    }
  } else {
    ++w.out.plain_parts;
    append_block(w.out.plain, utf8);
  }
}

void walk(GMimeObject* object, std::size_t depth, Walk& w) {
  if (object == nullptr || w.stopped() || w.out_of_time()) return;
  if (depth > w.limits.max_depth) {
    w.stop("MIME parts nested deeper than " + std::to_string(w.limits.max_depth));
    return;
  }
  if (++w.out.parts > w.limits.max_parts) {
    w.stop("message has more than " + std::to_string(w.limits.max_parts) + " MIME parts");
    return;
  }
  if (GMIME_IS_MULTIPART(object)) {
    GMimeMultipart* multipart = GMIME_MULTIPART(object);
    const int count = g_mime_multipart_get_count(multipart);
    for (int i = 0; i < count && !w.stopped(); ++i)
      walk(g_mime_multipart_get_part(multipart, i), depth + 1, w);
  } else if (GMIME_IS_MESSAGE_PART(object)) {
    GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
    if (inner == nullptr) return;
    if (const char* subject = g_mime_message_get_subject(inner))
      append_block(w.out.plain, to_valid_utf8(subject));
    walk(g_mime_message_get_mime_part(inner), depth + 1, w);
  } else if (GMIME_IS_TEXT_PART(object)) {
    GMimeContentType* type = g_mime_object_get_content_type(object);
    GMimeContentDisposition* disposition = g_mime_object_get_content_disposition(object);
    const bool attachment =
        disposition != nullptr && g_mime_content_disposition_is_attachment(disposition);
    const bool html = type != nullptr && g_mime_content_type_is_type(type, "text", "html");
    const bool plain = type == nullptr || g_mime_content_type_is_type(type, "text", "plain");
    if (attachment || (!html && !plain)) {
      ++w.out.attachments;
      return;
    }
    read_text_part(GMIME_TEXT_PART(object), html, w);
  } else {
    ++w.out.attachments;
  }
}

}  // namespace

MessageText extract_message_text(std::string_view message, const MimeTextLimits& limits) {
  if (message.starts_with("From ")) {
    const auto nl = message.find('\n');
    message = nl == std::string_view::npos ? std::string_view() : message.substr(nl + 1);
  }
  return extract_message_text(mail::MessageContent{message, {}}, limits);
}

MessageText extract_message_text(const mail::MessageContent& message,
                                 const MimeTextLimits& limits) {
  return extract_message_text(parse_for_scans(message, limits.max_parts, limits.max_header_fields),
                              limits);
}

MessageText extract_message_text(const ParsedMessage& parsed, const MimeTextLimits& limits) {
  MessageText out;
  if (parsed.empty) return out;
  Walk w{limits, out};
  if (!parsed.refusal.empty()) {
    w.stop(parsed.refusal);
    return out;
  }
  if (!parsed.message) return out;
  out.parsed = true;
  GMimeMessage* message = parsed.message.get();
  GMimeObject* top = GMIME_OBJECT(message);
  if (const char* subject = g_mime_message_get_subject(message)) {
    out.subject = to_valid_utf8(subject);
    out.has_subject = true;
  }
  out.from = header(top, "From");
  out.to = header(top, "To");
  out.x_mailer = header(top, "X-Mailer");
  if (out.x_mailer.empty()) out.x_mailer = header(top, "User-Agent");
  header(top, "Date", &out.has_date);
  header(top, "Message-ID", &out.has_message_id);
  walk(g_mime_message_get_mime_part(message), 0, w);

  out.text = out.plain;
  append_block(out.text, out.html_text);
  return out;
}

}  // namespace pw::scan
