// See paging.hpp.
#include "service/paging.hpp"

#include <charconv>
#include <ctime>

#include "util/utc_time.hpp"

namespace pw::service {
namespace {

std::optional<int64_t> whole_number(std::string_view text) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

}  // namespace

Outcome<int64_t> parse_page_limit(const std::optional<std::string>& limit) {
  if (!limit) return kDefaultPageSize;
  auto value = whole_number(*limit);
  if (!value || *value < 1 || *value > kMaxPageSize)
    return invalid("limit must be a number from 1 to " + std::to_string(kMaxPageSize));
  return *value;
}

std::string encode_cursor(const Cursor& cursor) {
  return std::to_string(cursor.at) + ":" + cursor.id;
}

Outcome<Cursor> decode_cursor(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon + 1 >= text.size()) return invalid("bad cursor");
  auto at = whole_number(text.substr(0, colon));
  if (!at || *at < 0) return invalid("bad cursor");
  return Cursor{*at, std::string(text.substr(colon + 1))};
}

Outcome<int64_t> parse_api_time(std::string_view text, std::string_view what) {
  if (auto number = whole_number(text); number && *number >= 0) return *number;
  if (auto at = util::parse_utc(text)) return *at;
  return invalid(std::string(what) + ": bad time \"" + std::string(text) +
                 "\": use ISO 8601 UTC (2026-11-26T05:00:00Z) or Unix seconds");
}

std::string iso_time(int64_t unix_seconds) {
  return util::format_utc(unix_seconds, util::TimeStyle::kIso8601);
}

}  // namespace pw::service
