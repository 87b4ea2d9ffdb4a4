// GMime streams over a message in memory or partly in a file (see the header).
#include "scan/gmime_stream.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace pw::scan {

GPtr<GMimeStream> open_message_stream(const mail::MessageContent& message) {
  GPtr<GMimeStream> head(
      g_mime_stream_mem_new_with_buffer(message.memory.data(), message.memory.size()));
  if (!message.spilled()) return head;
  // GMime's file stream owns (and closes) its descriptor: it gets its own copy.
  const int fd = ::fcntl(message.rest.fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return nullptr;
  const auto start = static_cast<gint64>(message.rest.offset);
  GPtr<GMimeStream> body(g_mime_stream_fs_new_with_bounds(
      fd, start, start + static_cast<gint64>(message.rest.length)));
  GPtr<GMimeStream> whole(g_mime_stream_cat_new());
  g_mime_stream_cat_add_source(GMIME_STREAM_CAT(whole.get()), head.get());
  g_mime_stream_cat_add_source(GMIME_STREAM_CAT(whole.get()), body.get());
  return whole;
}

GPtr<GMimeStream> decoded_content(GMimeDataWrapper* wrapper) {
  GMimeStream* raw = wrapper ? g_mime_data_wrapper_get_stream(wrapper) : nullptr;
  if (raw == nullptr || g_mime_stream_reset(raw) < 0) return nullptr;
  GPtr<GMimeStream> decoded(g_mime_stream_filter_new(raw));
  const GMimeContentEncoding encoding = g_mime_data_wrapper_get_encoding(wrapper);
  if (encoding == GMIME_CONTENT_ENCODING_BASE64 ||
      encoding == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
      encoding == GMIME_CONTENT_ENCODING_UUENCODE) {
    GPtr<GMimeFilter> filter(g_mime_filter_basic_new(encoding, FALSE));
    g_mime_stream_filter_add(GMIME_STREAM_FILTER(decoded.get()), filter.get());
  }
  return decoded;
}

GPtr<GMimeMessage> parse_message(GMimeStream* stream) {
  GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream));
  g_mime_parser_set_persist_stream(parser.get(), TRUE);  // parts refer to the stream
  return GPtr<GMimeMessage>(g_mime_parser_construct_message(parser.get(), nullptr));
}

}  // namespace pw::scan
