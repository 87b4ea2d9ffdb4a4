// Fuzzes the pre-parse guard of the MIME scanners (issue 15, item 4; scan/mime_guard).
// Promise checked: its counts are an upper bound of what GMime builds from the same bytes (at
// most delimiter_lines + content_type_lines + 1 objects), so refusing a message on them is a
// sound bound of GMime's parts, recursion and memory; and no crash, hang or leak.
// Issue 17 item 4: the same bytes with the body in a file (a memfd), read in windows of 16 to 79
// bytes, count at least what one piece counts (header lines: when both read the declarations the
// same way, literally or not), and exactly as much when both read them literally.
#include <gmime/gmime.h>
#include <sys/mman.h>
#include <unistd.h>

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

// The guard over the message with its body in a file, in small windows, against one piece.
void check_windows(std::string_view message, const pw::scan::MimeShape& whole) {
  const std::size_t end = message.find("\r\n\r\n");
  if (end == std::string_view::npos || message.empty()) return;
  const std::size_t head = end + 4;
  const int fd = memfd_create("body", MFD_CLOEXEC);
  if (fd < 0) return;
  const std::string_view body = message.substr(head);
  if (write(fd, body.data(), body.size()) != static_cast<ssize_t>(body.size())) std::abort();
  const pw::mail::MessageContent content{message.substr(0, head), {fd, 0, body.size()}};
  bool readable = false;
  const std::size_t window = 16 + static_cast<unsigned char>(message[0]) % 64;
  const pw::scan::MimeShape split = pw::scan::mime_shape(content, readable, window);
  close(fd);
  if (!readable) std::abort();
  if (split.delimiter_lines < whole.delimiter_lines ||
      split.content_type_lines < whole.content_type_lines)
    std::abort();
  // Header lines compare within one mode: a "--" line taken as a delimiter is not a field.
  if (split.literal_boundaries == whole.literal_boundaries &&
      split.header_lines < whole.header_lines)
    std::abort();
  if (split.literal_boundaries && whole.literal_boundaries &&
      (split.delimiter_lines != whole.delimiter_lines || split.header_lines != whole.header_lines))
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view message(reinterpret_cast<const char*>(data), size);
  const pw::scan::MimeShape shape = pw::scan::mime_shape(message);
  check_windows(message, shape);
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
