// Times as text in UTC (see the header).
#include "util/utc_time.hpp"

#include <fmt/format.h>

#include <array>
#include <ctime>

namespace pw::util {
namespace {

constexpr std::array<std::string_view, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

}  // namespace

std::string format_utc(int64_t unix_seconds, TimeStyle style) {
  const auto time = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  if (gmtime_r(&time, &tm) == nullptr) return std::to_string(unix_seconds);
  const int year = tm.tm_year + 1900;
  const int month = tm.tm_mon + 1;
  const std::string_view day_name = kDays[static_cast<size_t>(tm.tm_wday) % 7];
  const std::string_view month_name = kMonths[static_cast<size_t>(tm.tm_mon) % 12];
  switch (style) {
    case TimeStyle::kIso8601:
      return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", year, month, tm.tm_mday,
                         tm.tm_hour, tm.tm_min, tm.tm_sec);
    case TimeStyle::kReadable:
      return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC", year, month, tm.tm_mday,
                         tm.tm_hour, tm.tm_min, tm.tm_sec);
    case TimeStyle::kRfc5322:
      return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} +0000", day_name, tm.tm_mday,
                         month_name, year, tm.tm_hour, tm.tm_min, tm.tm_sec);
    case TimeStyle::kAsctime:
      return fmt::format("{} {} {:2} {:02}:{:02}:{:02} {}", day_name, month_name, tm.tm_mday,
                         tm.tm_hour, tm.tm_min, tm.tm_sec, year);
    case TimeStyle::kMonth:
      return fmt::format("{:04}-{:02}", year, month);
  }
  return std::to_string(unix_seconds);
}

std::optional<int64_t> parse_utc(std::string_view text) {
  const std::string copy(text);
  for (const char* format : {"%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%MZ",
                             "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"}) {
    std::tm tm{};
    const char* end = strptime(copy.c_str(), format, &tm);
    if (end != nullptr && *end == '\0') return static_cast<int64_t>(timegm(&tm));
  }
  return std::nullopt;
}

}  // namespace pw::util
