// An SMTP reply: basic code (RFC 5321 4.2), enhanced status code (RFC 3463, RFC 2034) and text.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pw::smtp {

// RFC 5321 4.5.3.1.5: a reply line, code and CRLF included, is at most 512 octets.
inline constexpr size_t kMaxReplyLine = 512;

struct Reply {
  int code = 250;
  std::string enhanced;            // "2.0.0"; empty only before EHLO (greeting-time replies)
  std::vector<std::string> lines;  // at least one; multi-line replies use "code-" continuation

  Reply() = default;
  Reply(int c, std::string e, std::string text)
      : code(c), enhanced(std::move(e)), lines{std::move(text)} {}
  Reply(int c, std::string e, std::vector<std::string> texts)
      : code(c), enhanced(std::move(e)), lines(std::move(texts)) {}

  bool positive() const { return code < 400; }
  bool closes() const { return code == 421 || code == 221; }
  // Wire form, every line ending in CRLF and at most kMaxReplyLine octets: a longer text is
  // continued on further lines, broken at a space where there is one.
  std::string render() const;
};

// `text` in pieces that fit one reply line each after "NNN-" + `enhanced` + " " and CRLF.
std::vector<std::string> wrap_reply_text(std::string_view enhanced, std::string_view text);

}  // namespace pw::smtp
