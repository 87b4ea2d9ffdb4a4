// Helpers shared by the admin command groups: aligned tables for people, ISO 8601 times, and
// key=value arguments.
// Trust: arguments come from the admin's command line.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.hpp"

namespace pw::app {

// "2026-11-25T16:30:47Z" (UTC).
std::string format_time(int64_t unix_seconds);

// Columns padded to their widest cell; an empty cell shows as "-".
void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);

// A time given on the command line, as unix seconds: "1700000000", "2026-11-25",
// "2026-11-25T16:30[:00][Z]" (UTC), or relative to now: "-2h" / "-30m" / "-7d" / "-90s".
Result<int64_t> parse_time(const std::string& text);

// "key=value" split at the first '='; the value may be empty, the key may not.
Result<std::pair<std::string, std::string>> parse_assignment(std::string_view text);

}  // namespace pw::app
