// Output and argument helpers of the admin commands: tables, UTC times (printed and parsed),
// key=value arguments.
// Trust: arguments come from the admin; echoed text is quoted printable (auth/name_syntax).
#include "app/cli_output.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <ostream>

#include "mail/name_syntax.hpp"
#include "store/statement.hpp"
#include "util/ascii_text.hpp"
#include "util/utc_time.hpp"

namespace pw::app {

std::string format_time(int64_t unix_seconds) {
  return util::format_utc(unix_seconds, util::TimeStyle::kIso8601);
}

void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  auto shown = [](const std::string& cell) { return cell.empty() ? std::string("-") : cell; };
  std::vector<size_t> widths(header.size(), 0);
  for (size_t i = 0; i < header.size(); ++i) widths[i] = header[i].size();
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], shown(row[i]).size());
    }
  }
  auto print_row = [&](const std::vector<std::string>& row, bool is_header) {
    std::string line;
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      std::string cell = is_header ? row[i] : shown(row[i]);
      line += cell;
      if (i + 1 < row.size()) line += std::string(widths[i] - cell.size() + 2, ' ');
    }
    out << line << "\n";
  };
  print_row(header, true);
  for (const auto& row : rows) print_row(row, false);
}

Result<std::pair<std::string, std::string>> parse_assignment(std::string_view text) {
  auto equals = text.find('=');
  if (equals == std::string_view::npos || equals == 0) {
    return fail("expected key=value, got " + util::quote_for_message(text));
  }
  return std::pair{std::string(text.substr(0, equals)), std::string(text.substr(equals + 1))};
}

Result<int64_t> parse_time(const std::string& text) {
  if (text.empty()) return fail("empty time");
  if (text.front() == '-' && text.size() >= 3) {
    int64_t amount = 0;
    auto [p, ec] = std::from_chars(text.data() + 1, text.data() + text.size() - 1, amount);
    if (ec == std::errc() && p == text.data() + text.size() - 1) {
      int64_t unit = text.back() == 's'   ? 1
                     : text.back() == 'm' ? 60
                     : text.back() == 'h' ? 3600
                     : text.back() == 'd' ? 86400
                                          : 0;
      if (unit) return store::unix_now() - amount * unit;
    }
  }
  int64_t number = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec == std::errc() && p == text.data() + text.size()) return number;
  if (auto at = util::parse_utc(text)) return *at;
  return fail("bad time \"" + text + "\": use unix seconds, YYYY-MM-DD[THH:MM[:SS]] (UTC) or -2h");
}

}  // namespace pw::app
