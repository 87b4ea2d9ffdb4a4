// Dates as RFC 5322 3.3 writes them, for Received, Date and DSN fields.
#pragma once
#include <cstdint>
#include <string>

namespace pw::util {

// "Wed, 25 Nov 2026 16:24:15 +0000" (UTC).
std::string rfc5322_date(int64_t unix_time);

}  // namespace pw::util
