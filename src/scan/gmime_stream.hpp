// GMime streams over a message (issue 17 item 4): the bytes in memory are copied into a memory
// stream as before; a body kept in a file (mail::MessageContent) is read from the file through
// GMime's own file stream, and GMime's parser, which keeps a seekable stream, then refers to
// parts by their offsets instead of copying them, so a parse holds only the header section and
// the part being read in memory.
#pragma once
#include <gmime/gmime.h>

#include <memory>

#include "mail/message_content.hpp"

namespace pw::scan {

struct GObjectDeleter {
  void operator()(void* object) const { g_object_unref(object); }
};
template <class T>
using GPtr = std::unique_ptr<T, GObjectDeleter>;

// A stream over the whole message; null when the file cannot be opened again (dup failed).
GPtr<GMimeStream> open_message_stream(const mail::MessageContent& message);

// A part's content, transfer-decoded (base64, quoted-printable, uuencode) as it is read, as
// g_mime_data_wrapper_write_to_stream decodes it, but in pieces; null when it has no stream.
GPtr<GMimeStream> decoded_content(GMimeDataWrapper* wrapper);

// The parsed message, or null when GMime finds no message in it.
GPtr<GMimeMessage> parse_message(GMimeStream* stream);

}  // namespace pw::scan
