// Date and Message-ID for submitted messages that lack them (RFC 6409 8.2, 8.3; RFC 5322 2.2
// for fields and folding). Hand-written: two field names in the header section need no MIME
// parser, and the message must stay byte for byte what the client sent apart from the additions.
// Trust: the message comes from an SMTP client.
#include "smtp/submission_headers.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "mail/header_summary.hpp"
#include "util/ascii_text.hpp"

namespace pw::smtp {
namespace {

bool same_name(std::string_view a, std::string_view b) { return util::ascii_iequals(a, b); }

// The field name of a header line ("" for a continuation line or a line without a colon).
// RFC 5322 4.5 (obsolete syntax): white space may stand between the name and the colon.
std::string_view field_name(std::string_view line) {
  if (line.empty() || line.front() == ' ' || line.front() == '\t') return {};
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return {};
  std::string_view name = line.substr(0, colon);
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
  return name;
}

}  // namespace

bool more_header_fields_than(std::string_view message, size_t limit) {
  size_t fields = 0;
  for (size_t at = 0; at < message.size();) {
    const size_t nl = message.find('\n', at);
    const size_t end = nl == std::string_view::npos ? message.size() : nl;
    std::string_view line = message.substr(at, end - at);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.empty()) return false;  // the end of the header section
    if (line.front() != ' ' && line.front() != '\t' && ++fields > limit) return true;
    at = end + 1;
  }
  return false;
}

std::string SubmissionHeaders::names(std::string_view separator) const {
  if (date && message_id) return fmt::format("Date{}Message-ID", separator);
  if (date) return "Date";
  if (message_id) return "Message-ID";
  return "";
}

SubmissionHeaders missing_submission_headers(std::string_view message) {
  bool has_date = false;
  bool has_message_id = false;
  std::string_view headers = mail::header_section(message);
  size_t pos = 0;
  while (pos < headers.size()) {
    size_t end = headers.find("\r\n", pos);
    if (end == std::string_view::npos) end = headers.size();
    std::string_view name = field_name(headers.substr(pos, end - pos));
    has_date = has_date || same_name(name, "Date");
    has_message_id = has_message_id || same_name(name, "Message-ID");
    pos = end + 2;
  }
  return {!has_date, !has_message_id};
}

std::string add_submission_headers(std::string_view message, const SubmissionHeaders& missing,
                                   std::string_view date, std::string_view message_id) {
  if (!missing.any()) return std::string(message);
  const size_t at = mail::header_section(message).size();
  std::string fields;
  // A header section that runs to the end of a message without a final CRLF.
  if (at > 0 && !message.substr(0, at).ends_with("\r\n")) fields += "\r\n";
  if (missing.date) fields += fmt::format("Date: {}\r\n", date);
  if (missing.message_id) fields += fmt::format("Message-ID: {}\r\n", message_id);
  std::string out;
  out.reserve(message.size() + fields.size());
  out.append(message.substr(0, at));
  out.append(fields);
  out.append(message.substr(at));
  return out;
}

policy::Verdict submission_headers_decision(const SubmissionHeaders& added) {
  policy::Verdict v;
  v.check = "submission_headers";
  v.reasons.push_back(
      {"submission_headers", fmt::format("added {} (RFC 6409 8.2, 8.3)", added.names(", ")), 0});
  return v;
}

}  // namespace pw::smtp
