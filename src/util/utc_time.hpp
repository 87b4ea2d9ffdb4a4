// Times as text, all in UTC, in the few layouts the product writes and reads: the one place
// that calls gmtime_r/timegm (issue 16: three formatters and two parsers were written before).
// The names of days and months are spelled out here, so no locale changes them.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pw::util {

enum class TimeStyle {
  kIso8601,   // "2026-11-25T16:24:15Z": JSON, the CLI, the API
  kReadable,  // "2026-11-25 16:24:15 UTC": SMTP reply texts (lock notices)
  kRfc5322,   // "Wed, 25 Nov 2026 16:24:15 +0000": Date, Received, DSN fields (RFC 5322 3.3)
  kAsctime,   // "Wed Nov 25 16:24:15 2026": mbox "From " lines
  kMonth,     // "2026-11": archive folders
};

std::string format_utc(int64_t unix_seconds, TimeStyle style);

// A time an administrator types, in UTC: 2026-11-26T05:00:00Z, 2026-11-26T05:00:00,
// 2026-11-26T05:00Z, 2026-11-26T05:00, 2026-11-26 05:00:00 or 2026-11-26 (not unix seconds,
// not relative times: the callers add those).
std::optional<int64_t> parse_utc(std::string_view text);

// RFC 5322 3.3 date-time in UTC, for Date, Received and DSN fields.
inline std::string rfc5322_date(int64_t unix_seconds) {
  return format_utc(unix_seconds, TimeStyle::kRfc5322);
}

}  // namespace pw::util
