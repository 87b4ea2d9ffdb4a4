// Reading the parts of an HTTP request that come as text: the request target (path and query),
// the Cookie header, and the comparison of secrets (F-PANEL).
// Trust: every byte comes from the network; malformed input is refused, never guessed at.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace pw::http {

struct RequestTarget {
  std::string raw_path;                      // as sent, still percent-encoded ("/a/b%2Fc")
  std::string path;                          // percent-decoded ("/a/b/c")
  std::map<std::string, std::string> query;  // decoded names and values ('+' is a space)
};

// "/path?x=1&y=%20" (origin form, RFC 9112 3.2.1). nullopt when the target does not start with
// '/', holds a bad escape or NUL in the path or the query, or a control or space character.
std::optional<RequestTarget> parse_request_target(std::string_view target);

// Percent-decoding of one path segment or query value; nullopt on a bad escape or a NUL.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space = false);

// The value of cookie `name` in a Cookie header ("a=1; pw_session=xyz"), nullopt when absent.
// A cookie named twice gives the first (RFC 6265 5.4: the most specific path comes first).
std::optional<std::string> cookie_value(std::string_view header, std::string_view name);

// Equal contents, in time that depends only on the lengths (CSRF tokens, session ids).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace pw::http
