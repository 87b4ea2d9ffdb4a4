// Lists of the REST API and their pages (docs/API.md "Conventions"): the page size, the opaque
// keyset cursor ("<unix time>:<id>" of the last item, newest first), and the times filters take
// and answers give (ISO 8601 UTC; filters also take Unix seconds).
// Trust: limits, cursors and times come from the client; each is checked here.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "service/outcome.hpp"

namespace pw::service {

// A list's page size when the client names none, and the most it may ask for.
inline constexpr int64_t kDefaultPageSize = 50;
inline constexpr int64_t kMaxPageSize = 500;

struct Cursor {
  int64_t at = 0;  // the time the order is by (received, held, archived)
  std::string id;  // breaks ties
};

// `limit` as the client gave it (nullopt: the default); 400 outside 1..kMaxPageSize.
Outcome<int64_t> parse_page_limit(const std::optional<std::string>& limit);
std::string encode_cursor(const Cursor& cursor);
// 400 for anything encode_cursor did not make.
Outcome<Cursor> decode_cursor(std::string_view text);
// "2026-11-26T05:00:00Z", "2026-11-26T05:00:00", "2026-11-26" or Unix seconds; 400 naming
// `what` otherwise.
Outcome<int64_t> parse_api_time(std::string_view text, std::string_view what);
// "2026-11-26T05:00:00Z"
std::string iso_time(int64_t unix_seconds);

}  // namespace pw::service
