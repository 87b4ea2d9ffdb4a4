// A remote server's reply as the delivery client sees it, and the parser that assembles one from
// its lines (RFC 5321 4.2: "250-" continuation, one code on every line; RFC 2034 enhanced codes).
// Trust: every line comes from a remote SMTP server; the caller bounds length and line count.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pw::delivery {

struct ServerReply {
  int code = 0;          // RFC 5321 4.2.1, 200..599
  std::string enhanced;  // RFC 3463 "x.y.z" when the server offers ENHANCEDSTATUSCODES, else empty
  std::string text;      // the lines' text joined with ' ', made printable ASCII

  bool positive() const { return code >= 200 && code < 400; }
  bool transient() const { return code >= 400 && code < 500; }
  bool permanent() const { return code >= 500 && code < 600; }
  std::string str() const;  // "550 5.1.1 text", for logs and DSNs
};

// Feeds one reply line at a time (line end removed). After kDone, reply() and lines() hold the
// result until the next feed(), which starts a new reply.
class ReplyParser {
 public:
  enum class Status { kNeedMore, kDone, kError };

  // `enhanced_codes`: strip and keep an RFC 3463 code at the start of each line's text, as
  // servers that announce ENHANCEDSTATUSCODES put it there (RFC 2034 section 4).
  explicit ReplyParser(bool enhanced_codes = false) : enhanced_codes_(enhanced_codes) {}

  Status feed(std::string_view line);
  // Drops a reply in progress; `enhanced_codes` changes once EHLO has been answered.
  void reset(bool enhanced_codes);

  const ServerReply& reply() const { return reply_; }
  // The text of each line (code and enhanced code removed): EHLO keywords live here.
  const std::vector<std::string>& lines() const { return lines_; }
  // Why the last kError happened.
  const std::string& error() const { return error_; }

 private:
  bool enhanced_codes_;
  ServerReply reply_;
  std::vector<std::string> lines_;
  std::string error_;
  bool complete_ = false;
};

// Splits "x.y.z rest" into the code and the rest when the text starts with a valid RFC 3463
// code whose class matches `reply_code`'s first digit; nullopt otherwise.
std::optional<std::pair<std::string, std::string_view>> split_enhanced_code(std::string_view text,
                                                                            int reply_code);

}  // namespace pw::delivery
