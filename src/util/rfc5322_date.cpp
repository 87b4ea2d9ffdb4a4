// RFC 5322 date-time in UTC.
#include "util/rfc5322_date.hpp"

#include <ctime>

namespace pw::util {

std::string rfc5322_date(int64_t unix_time) {
  std::time_t t = static_cast<std::time_t>(unix_time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buffer;
}

}  // namespace pw::util
