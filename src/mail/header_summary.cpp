// Header extraction for the message log (RFC 5322 2.2: fields, folding).
// Hand-written: a full MIME parse (GMime) is not needed for two fields on the accept path.
// Trust: the message comes from an SMTP client; output is bounded and printable.
#include "mail/header_summary.hpp"

#include <algorithm>

#include "util/ascii_text.hpp"

namespace pw::mail {
namespace {

// Longest value kept in the log (RFC 5322 2.1.1 line limit).
constexpr size_t kMaxValue = 998;

bool field_is(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  return util::ascii_iequals(line.substr(0, name.size()), name);
}

std::string clean(std::string_view value) {
  std::string out;
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\r' || c == '\n') continue;
    out.push_back(u < 32 || u == 127 ? ' ' : c);
    if (out.size() >= kMaxValue) break;
  }
  auto first = out.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  auto last = out.find_last_not_of(" \t");
  return out.substr(first, last - first + 1);
}

}  // namespace

std::string_view header_section(std::string_view message) {
  if (message.starts_with("\r\n")) return {};
  size_t end = message.find("\r\n\r\n");
  return end == std::string_view::npos ? message : message.substr(0, end + 2);
}

HeaderSummary summarize_headers(std::string_view message) {
  HeaderSummary summary;
  std::string_view headers = header_section(message);
  std::string field;  // the current field, unfolded
  auto finish = [&] {
    if (field_is(field, "Subject") && summary.subject.empty())
      summary.subject = clean(std::string_view(field).substr(8));
    else if (field_is(field, "Message-ID") && summary.message_id.empty())
      summary.message_id = clean(std::string_view(field).substr(11));
    field.clear();
  };
  size_t pos = 0;
  while (pos < headers.size()) {
    size_t end = headers.find("\r\n", pos);
    if (end == std::string_view::npos) end = headers.size();
    std::string_view line = headers.substr(pos, end - pos);
    pos = end + 2;
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
      if (field.size() < 4 * kMaxValue) field.append(line);
      continue;
    }
    finish();
    field.assign(line.substr(0, 4 * kMaxValue));
  }
  finish();
  return summary;
}

}  // namespace pw::mail
