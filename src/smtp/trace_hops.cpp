// Counting Received: fields (see header).
#include "smtp/trace_hops.hpp"

#include "util/ascii_text.hpp"

namespace pw::smtp {

namespace {

constexpr std::string_view kReceived = "received";

bool is_received_field(std::string_view line) {
  if (line.size() < kReceived.size()) return false;
  for (size_t i = 0; i < kReceived.size(); ++i) {
    if (util::ascii_lower(line[i]) != kReceived[i]) return false;
  }
  size_t at = kReceived.size();
  while (at < line.size() && (line[at] == ' ' || line[at] == '\t')) ++at;
  return at < line.size() && line[at] == ':';
}

}  // namespace

size_t count_received_fields(std::string_view message, size_t stop_at) {
  size_t count = 0;
  size_t at = 0;
  while (at < message.size() && count < stop_at) {
    size_t end = message.find('\n', at);
    std::string_view line =
        message.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // the end of the header section
    if (is_received_field(line)) ++count;
    if (end == std::string_view::npos) break;
    at = end + 1;
  }
  return count;
}

}  // namespace pw::smtp
