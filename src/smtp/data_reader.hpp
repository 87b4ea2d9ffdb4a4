// Reads the message data of DATA (RFC 5321 4.1.1.4, 4.5.2): finds the end-of-data marker, undoes
// dot-stuffing, and enforces the size limit while reading.
//
// The one rule against SMTP smuggling: only <CR><LF>.<CR><LF> ends the data (the data's first
// line counts as following a <CR><LF>). A bare <LF> or bare <CR> anywhere in the data marks the
// message as malformed; reading goes on to the real end, and the session then rejects the whole
// message (550 5.6.0). So <LF>.<LF>, <CR>.<CR>, <LF>.<CR><LF> and <CR><LF>.<LF> never end DATA,
// and nothing that follows them can be taken as a command. A NUL octet is refused the same way.
// Trust: every byte comes from the SMTP client.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pw::smtp {

class DataReader {
 public:
  explicit DataReader(uint64_t max_size) : max_size_(max_size) {}

  // Consumes bytes of `input` up to and including the end-of-data marker. Returns how many
  // bytes were consumed; bytes after the marker (pipelined commands) are left to the caller.
  size_t feed(std::string_view input);

  bool done() const { return state_ == State::kDone; }
  bool too_big() const { return too_big_; }
  bool bare_line_ending() const { return bare_line_ending_; }
  bool has_nul() const { return has_nul_; }
  bool has_8bit() const { return has_8bit_; }
  uint64_t size() const { return size_; }  // decoded octets, counted past the limit too
  // The un-stuffed message with CRLF line ends; empty once the limit is passed (not kept).
  std::string& message() { return message_; }

 private:
  enum class State {
    kLineStart,  // just after CRLF (or at the start of data)
    kMidLine,    // inside a line
    kCr,         // saw CR inside a line
    kDot,        // saw '.' at the start of a line
    kDotCr,      // saw ".\r" at the start of a line
    kDone,
  };
  void append(char c);
  void append(std::string_view s);

  uint64_t max_size_;
  State state_ = State::kLineStart;
  std::string message_;
  uint64_t size_ = 0;
  bool too_big_ = false;
  bool bare_line_ending_ = false;
  bool has_nul_ = false;
  bool has_8bit_ = false;
};

}  // namespace pw::smtp
