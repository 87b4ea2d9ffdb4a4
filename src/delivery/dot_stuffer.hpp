// Dot-stuffing of message data for DATA (RFC 5321 4.5.2), applied chunk by chunk so a large
// message is never copied whole; the end-of-data marker CRLF "." CRLF is appended at the end.
// Trust: the message comes from our queue, but its lines were written by senders.
#pragma once
#include <string>
#include <string_view>

namespace pw::delivery {

class DotStuffer {
 public:
  // Appends `chunk` to `out` with a '.' put before every '.' that starts a line. A line starts
  // at the beginning of the message and after every LF: RFC 5321 only speaks of CRLF, but a
  // bare LF stuffed too means no receiver that ends lines at LF can see an end of data in the
  // message (SMTP smuggling), at the cost of one extra dot at such a receiver.
  void stuff(std::string_view chunk, std::string& out);

  // Appends CRLF if the message did not end with one (an empty message needs none), then
  // "." CRLF. The stuffer is then ready for the next message.
  void finish(std::string& out);

 private:
  bool at_line_start_ = true;
  bool after_cr_ = false;       // the last octet was CR
  bool ends_with_crlf_ = true;  // nothing stuffed yet counts as a line start
};

}  // namespace pw::delivery
