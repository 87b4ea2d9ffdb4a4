// merge: replace with scan::extract_text. A minimal GMime walk over a message's text body parts,
// the way scan/attachment_scanner walks attachments; charsets are converted to UTF-8 by GMime.
#include "scan/fuzzy_body_text.hpp"

#include <gmime/gmime.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>
#include <utility>

#include "scan/attachment_scanner.hpp"

namespace pw::scan {
namespace {

struct GObjectDeleter {
  void operator()(void* object) const { g_object_unref(object); }
};
template <class T>
using GPtr = std::unique_ptr<T, GObjectDeleter>;
struct GFreeDeleter {
  void operator()(char* p) const { g_free(p); }
};

struct TextWalk {
  std::size_t max_bytes = 0;
  std::size_t parts = 0;
  std::string plain;
  std::string html;
};

// Tags, comments, <style> and <script> bodies removed; a handful of entities decoded. Enough for
// a fingerprint; the text extractor proper handles HTML fully.
std::string html_to_text(std::string_view html) {
  std::string out;
  std::size_t i = 0;
  while (i < html.size()) {
    const char c = html[i];
    if (c == '<') {
      const auto close = html.find('>', i);
      if (close == std::string_view::npos) break;
      std::string tag(html.substr(i + 1, std::min<std::size_t>(close - i - 1, 7)));
      for (auto& ch : tag) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      i = close + 1;
      for (std::string_view skipped : {"style", "script"}) {
        if (tag.starts_with(skipped)) {
          const auto end = html.find(std::string("</") + std::string(skipped), i);
          i = end == std::string_view::npos ? html.size() : end;
        }
      }
      out.push_back(' ');
    } else if (c == '&') {
      static constexpr std::pair<std::string_view, std::string_view> kEntities[] = {
          {"&amp;", "&"},   {"&lt;", "<"},   {"&gt;", ">"},
          {"&quot;", "\""}, {"&nbsp;", " "}, {"&#39;", "'"}};
      bool decoded = false;
      for (const auto& [entity, text] : kEntities) {
        if (html.substr(i).starts_with(entity)) {
          out += text;
          i += entity.size();
          decoded = true;
          break;
        }
      }
      if (!decoded) out.push_back(html[i++]);
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return out;
}

void walk(GMimeObject* object, std::size_t depth, TextWalk& w) {
  if (object == nullptr || depth > kDefaultMaxDepth || ++w.parts > kDefaultMaxParts) return;
  if (GMIME_IS_MULTIPART(object)) {
    GMimeMultipart* multipart = GMIME_MULTIPART(object);
    const int count = g_mime_multipart_get_count(multipart);
    for (int i = 0; i < count; ++i) walk(g_mime_multipart_get_part(multipart, i), depth + 1, w);
    return;
  }
  if (!GMIME_IS_TEXT_PART(object)) return;  // forwarded messages and attachments are not body
  GMimeContentDisposition* disposition = g_mime_object_get_content_disposition(object);
  if (disposition != nullptr && g_mime_content_disposition_is_attachment(disposition)) return;
  GMimeContentType* type = g_mime_object_get_content_type(object);
  const bool html = type != nullptr && g_mime_content_type_is_type(type, "text", "html");
  const bool plain = type == nullptr || g_mime_content_type_is_type(type, "text", "plain");
  if (!html && !plain) return;
  std::string& out = html ? w.html : w.plain;
  if (out.size() >= w.max_bytes) return;
  std::unique_ptr<char, GFreeDeleter> text(g_mime_text_part_get_text(GMIME_TEXT_PART(object)));
  if (!text) return;
  std::string part = html ? html_to_text(text.get()) : std::string(text.get());
  out += part.substr(0, w.max_bytes - out.size());
  out.push_back('\n');
}

}  // namespace

std::string fuzzy_body_text(std::string_view message, std::size_t max_bytes) {
  if (count_content_type_lines(message) > kDefaultMaxParts) return {};
  init_gmime_once();
  GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(message.data(), message.size()));
  GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  GPtr<GMimeMessage> parsed(g_mime_parser_construct_message(parser.get(), nullptr));
  if (!parsed) return {};
  TextWalk w;
  w.max_bytes = max_bytes;
  walk(g_mime_message_get_mime_part(parsed.get()), 0, w);
  std::string& text = w.plain.empty() ? w.html : w.plain;
  if (text.size() > max_bytes) text.resize(max_bytes);
  return std::move(text);
}

}  // namespace pw::scan
