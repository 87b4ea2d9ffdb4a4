// Assembles server replies from lines; strict about codes, lenient about text.
// Trust: every line comes from a remote SMTP server.
#include "delivery/reply_parser.hpp"

#include <fmt/format.h>

namespace pw::delivery {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Server text goes into logs and bounce messages: printable ASCII kept, TAB becomes a space,
// everything else '?'.
std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    out.push_back(c == '\t' ? ' ' : (u >= 0x20 && u < 0x7f ? c : '?'));
  }
  return out;
}

// 1 to 3 digits at `pos`, advancing it; false when there are none or more than three.
bool digits(std::string_view text, size_t& pos) {
  size_t start = pos;
  while (pos < text.size() && is_digit(text[pos])) ++pos;
  return pos > start && pos - start <= 3;
}

}  // namespace

std::string ServerReply::str() const {
  if (enhanced.empty()) return fmt::format("{} {}", code, text);
  return fmt::format("{} {} {}", code, enhanced, text);
}

std::optional<std::pair<std::string, std::string_view>> split_enhanced_code(std::string_view text,
                                                                            int reply_code) {
  // RFC 3463 section 2: class "." subject "." detail; RFC 2034 section 4: the class repeats the
  // reply code's first digit.
  if (text.size() < 5 || text[0] != static_cast<char>('0' + reply_code / 100) || text[1] != '.')
    return std::nullopt;
  size_t pos = 2;
  if (!digits(text, pos) || pos >= text.size() || text[pos] != '.') return std::nullopt;
  ++pos;
  if (!digits(text, pos)) return std::nullopt;
  if (pos < text.size() && text[pos] != ' ') return std::nullopt;
  std::string code(text.substr(0, pos));
  std::string_view rest = text.substr(pos);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  return std::make_pair(std::move(code), rest);
}

void ReplyParser::reset(bool enhanced_codes) {
  enhanced_codes_ = enhanced_codes;
  reply_ = ServerReply{};
  lines_.clear();
  error_.clear();
  complete_ = false;
}

ReplyParser::Status ReplyParser::feed(std::string_view line) {
  if (complete_) reset(enhanced_codes_);
  // RFC 5321 4.2: Reply-code [ SP textstring ] CRLF, or Reply-code "-" textstring CRLF for
  // every line but the last. The code is 2-5, 0-5, 0-9.
  if (line.size() < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '5' ||
      !is_digit(line[2]) || (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
    error_ = fmt::format("malformed reply line \"{}\"", printable(line.substr(0, 64)));
    complete_ = true;
    return Status::kError;
  }
  int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (!lines_.empty() && code != reply_.code) {
    error_ = fmt::format("reply code changed from {} to {} within one reply", reply_.code, code);
    complete_ = true;
    return Status::kError;
  }
  reply_.code = code;
  bool last = line.size() == 3 || line[3] == ' ';
  std::string_view text = line.size() > 4 ? line.substr(4) : std::string_view();
  if (enhanced_codes_) {
    if (auto split = split_enhanced_code(text, code)) {
      if (reply_.enhanced.empty()) reply_.enhanced = std::move(split->first);
      text = split->second;
    }
  }
  std::string clean = printable(text);
  if (!clean.empty()) {
    if (!reply_.text.empty()) reply_.text.push_back(' ');
    reply_.text += clean;
  }
  lines_.push_back(std::move(clean));
  if (!last) return Status::kNeedMore;
  complete_ = true;
  return Status::kDone;
}

}  // namespace pw::delivery
