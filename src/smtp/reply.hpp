// An SMTP reply: basic code (RFC 5321 4.2), enhanced status code (RFC 3463, RFC 2034) and text.
#pragma once
#include <string>
#include <vector>

namespace pw::smtp {

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
  std::string render() const;  // wire form, every line ending in CRLF
};

}  // namespace pw::smtp
