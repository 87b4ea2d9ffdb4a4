// Fuzzes the pre-parse guard of the MIME scanners (issue 15, item 4; scan/mime_guard).
// Promise checked: its counts are an upper bound of what GMime builds from the same bytes (at
// most delimiter_lines + content_type_lines + 1 objects), so refusing a message on them is a
// sound bound of GMime's parts, recursion and memory; and no crash, hang or leak.
#include <gmime/gmime.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "scan/attachment_scanner.hpp"
#include "scan/mime_guard.hpp"

namespace {

struct Unref {
  void operator()(void* object) const { g_object_unref(object); }
};

std::size_t objects(GMimeObject* object, int depth) {
  if (object == nullptr || depth > 1000) return 0;
  std::size_t n = 1;
  if (GMIME_IS_MULTIPART(object)) {
    GMimeMultipart* multipart = GMIME_MULTIPART(object);
    for (int i = 0; i < g_mime_multipart_get_count(multipart); ++i)
      n += objects(g_mime_multipart_get_part(multipart, i), depth + 1);
  } else if (GMIME_IS_MESSAGE_PART(object)) {
    GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
    if (inner != nullptr) n += objects(g_mime_message_get_mime_part(inner), depth + 1);
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view message(reinterpret_cast<const char*>(data), size);
  const pw::scan::MimeShape shape = pw::scan::mime_shape(message);
  if (size == 0 || shape.content_type_lines > 50) return 0;  // GMime recursion, kept small
  pw::scan::init_gmime_once();
  std::unique_ptr<GMimeStream, Unref> stream(
      g_mime_stream_mem_new_with_buffer(message.data(), message.size()));
  std::unique_ptr<GMimeParser, Unref> parser(g_mime_parser_new_with_stream(stream.get()));
  std::unique_ptr<GMimeMessage, Unref> parsed(
      g_mime_parser_construct_message(parser.get(), nullptr));
  if (!parsed) return 0;
  const std::size_t built = objects(g_mime_message_get_mime_part(parsed.get()), 0);
  if (built > shape.delimiter_lines + shape.content_type_lines + 1) std::abort();
  return 0;
}
