// The feed of newly registered domains (F-NRD): a CSV file of `domain,date` lines, as registries
// and NRD list vendors publish them, read into (domain, registration time) pairs.
// Hand-written rather than a CSV library: two columns, no quoting beyond "..." around a field,
// and every line must be checked and refused with its number anyway.
// Trust: the file comes from a third-party feed; every line is validated, nothing is trusted.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace pw::scan {

struct NrdEntry {
  std::string domain;         // canonical: lower-case, no final dot
  int64_t registered_at = 0;  // unix seconds, UTC
};

// "2026-11-25" (midnight UTC) or ISO 8601 in UTC: "2026-11-25T16:30", "2026-11-25T16:30:05",
// with an optional "Z" or "+00:00" (a space may stand for the T); nullopt when it is none of
// these or not a real date.
std::optional<int64_t> parse_nrd_time(std::string_view text);

// Every line `domain,date`; blank lines and lines starting with '#' are skipped, CRLF is fine,
// a field may be in double quotes, and the first line may be a header ("domain,registered":
// no dot in the first field, no date in the second). The first bad line fails the whole file: "line
// 7: ..." and nothing is returned.
Result<std::vector<NrdEntry>> parse_nrd_csv(std::string_view text);

}  // namespace pw::scan
