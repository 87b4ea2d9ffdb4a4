// Parsing the NRD feed: lines, fields, domain names and UTC dates.
// Trust: third-party file; lines are bounded in what they echo back in errors.
#include "scan/nrd_feed.hpp"

#include <fmt/format.h>

#include "mail/name_syntax.hpp"
#include "util/ascii_text.hpp"

namespace pw::scan {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
    text.remove_suffix(1);
  return text;
}

std::string_view unquote(std::string_view field) {
  field = trim(field);
  if (field.size() >= 2 && field.front() == '"' && field.back() == '"')
    field = trim(field.substr(1, field.size() - 2));
  return field;
}

// `count` digits at `at`, or nullopt.
std::optional<int> digits(std::string_view text, size_t at, size_t count) {
  if (at + count > text.size()) return std::nullopt;
  int value = 0;
  for (size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

bool leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && leap(year) ? 29 : kDays[month - 1];
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

std::string shown(std::string_view text) { return util::quote_for_message(text); }

}  // namespace

std::optional<int64_t> parse_nrd_time(std::string_view text) {
  text = trim(text);
  auto year = digits(text, 0, 4);
  auto month = digits(text, 5, 2);
  auto day = digits(text, 8, 2);
  if (!year || !month || !day || text[4] != '-' || text[7] != '-') return std::nullopt;
  if (*year < 1985 || *month < 1 || *month > 12 || *day < 1 || *day > days_in_month(*year, *month))
    return std::nullopt;
  int64_t seconds = days_from_civil(*year, *month, *day) * 86400;
  if (text.size() == 10) return seconds;
  if (text[10] != 'T' && text[10] != 't' && text[10] != ' ') return std::nullopt;
  auto hour = digits(text, 11, 2);
  auto minute = digits(text, 14, 2);
  if (!hour || !minute || text.size() < 16 || text[13] != ':' || *hour > 23 || *minute > 59)
    return std::nullopt;
  seconds += *hour * 3600 + *minute * 60;
  std::string_view rest = text.substr(16);
  if (!rest.empty() && rest.front() == ':') {
    auto second = digits(rest, 1, 2);
    if (!second || *second > 59) return std::nullopt;
    seconds += *second;
    rest.remove_prefix(3);
    if (!rest.empty() && rest.front() == '.') {  // fractions of a second: read, dropped
      rest.remove_prefix(1);
      size_t n = 0;
      while (n < rest.size() && n < 9 && rest[n] >= '0' && rest[n] <= '9') ++n;
      if (n == 0) return std::nullopt;
      rest.remove_prefix(n);
    }
  }
  if (rest.empty() || rest == "Z" || rest == "z" || rest == "+00:00" || rest == "-00:00" ||
      rest == "+0000")
    return seconds;
  return std::nullopt;
}

Result<std::vector<NrdEntry>> parse_nrd_csv(std::string_view text) {
  std::vector<NrdEntry> entries;
  size_t line_number = 0;
  bool first_content = true;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a UTF-8 byte order mark
  while (!text.empty()) {
    ++line_number;
    size_t end = text.find('\n');
    std::string_view line = trim(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (line.empty() || line.front() == '#') continue;
    auto where = [&](const std::string& what) {
      return fail(fmt::format("line {}: {}", line_number, what));
    };
    size_t comma = line.find(',');
    if (comma == std::string_view::npos) return where("expected domain,date, got " + shown(line));
    std::string_view name = unquote(line.substr(0, comma));
    std::string_view date = line.substr(comma + 1);
    if (date.find(',') != std::string_view::npos)
      return where("expected two fields (domain,date), got " + shown(line));
    date = unquote(date);
    // A header names its columns: no dot in the first, no date in the second.
    bool header = first_content && name.find('.') == std::string_view::npos &&
                  !parse_nrd_time(date).has_value();
    first_content = false;
    if (header) continue;
    auto domain = mail::canonical_domain_name(name);
    if (!domain) return where(domain.error().message);
    auto at = parse_nrd_time(date);
    if (!at)
      return where("date " + shown(date) + " is not YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z] (UTC)");
    entries.push_back(NrdEntry{std::move(*domain), *at});
  }
  return entries;
}

}  // namespace pw::scan
