// Client or server text made safe for logs and headers (issue 16 item 2: one copy of what five
// modules each wrote). Bytes outside the kept set become '?'; the result is at most `max_length`.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace pw::mail {

// One token: printable ASCII without space, '"' or '\' (a log field's value, a HELO name).
std::string printable(std::string_view text, std::size_t max_length = 255);
// A phrase: the same with spaces kept (a reason or a signature name in quotes in a log line).
std::string printable_text(std::string_view text, std::size_t max_length);

}  // namespace pw::mail
