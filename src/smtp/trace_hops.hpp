// Mail-loop detection by trace fields (RFC 5321 6.3, issue 15 item 10): each relay adds one
// Received: field, so a message that carries more than [smtp] max_hops of them is looping.
// Trust: the message comes from the client; only its header section is read, once, linearly.
#pragma once
#include <cstddef>
#include <string_view>

namespace pw::smtp {

// Received: fields in the header section of `message` (up to the first empty line, or all of
// it), counted up to `stop_at` (counting stops there: the caller needs to know "more than").
// Field names are case-insensitive; "Received :" (obsolete syntax, RFC 5322 4.5) counts too.
size_t count_received_fields(std::string_view message, size_t stop_at);

}  // namespace pw::smtp
