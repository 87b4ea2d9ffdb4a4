// The pre-parse guard (issue 15, item 4): see mime_guard.hpp. GMime 3 (gmime-parser.c) ends a
// part at a line "--" + boundary, optionally followed by "--" and linear white space, for any
// boundary on its stack; a boundary comes from a Content-Type boundary parameter, unfolded,
// unquoted and (for RFC 2231 or 2047 forms) decoded. Where this pass cannot follow such a
// decoding it falls back to counting every "--" line, so its count stays an upper bound.
#include "scan/mime_guard.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <utility>
#include <vector>

#include "util/ascii_text.hpp"

namespace pw::scan {
namespace {

// Boundary values compared (and lines compared with them) up to this many bytes: RFC 2046
// allows 70; longer values still match on their first kValueCap bytes, an over-count.
constexpr std::size_t kValueCap = 256;
// More declarations than this: every "--" line counts (keeps the value list small).
constexpr std::size_t kMaxDeclarations = 10000;
constexpr std::string_view kParam = "boundary";

bool lwsp(char c) { return c == ' ' || c == '\t'; }

bool iequal_at(std::string_view s, std::size_t at, std::string_view word) {
  if (at + word.size() > s.size()) return false;
  return util::ascii_iequals(s.substr(at, word.size()), word);
}

// A CR that does not end a line: GMime's parameter parser skips it as white space.
bool bare_cr(std::string_view s, std::size_t at) {
  return s[at] == '\r' && (at + 1 >= s.size() || s[at + 1] != '\n');
}

// Skips blanks, bare CRs and folds (a line break followed by a blank) from `at`.
std::size_t skip_cfws(std::string_view s, std::size_t at) {
  while (at < s.size()) {
    if (lwsp(s[at]) || bare_cr(s, at)) {
      ++at;
    } else if (s[at] == '\r' && at + 2 < s.size() && s[at + 1] == '\n' && lwsp(s[at + 2])) {
      at += 3;
    } else if (s[at] == '\n' && at + 1 < s.size() && lwsp(s[at + 1])) {
      at += 2;
    } else {
      break;
    }
  }
  return at;
}

// The unfolded rest of the field from `at`, up to kValueCap bytes: an unquoted value is a prefix
// of it whatever GMime takes as its end.
std::string unfolded_rest(std::string_view s, std::size_t at) {
  std::string out;
  for (; at < s.size() && out.size() < kValueCap; ++at) {
    const char c = s[at];
    if (c == '\r' || c == '\n') {
      const std::size_t next = skip_cfws(s, at);
      if (next == at) break;  // the field ends here
      at = next - 1;
      out.push_back(s[at]);
      continue;
    }
    out.push_back(c);
  }
  return out;
}

struct Declarations {
  std::vector<std::string> values;
  bool literal = true;
};

// Reads the boundary parameter whose name ends at `at`; false when it cannot be read literally.
bool read_declaration(std::string_view s, std::size_t at, Declarations& d) {
  at = skip_cfws(s, at);
  if (at >= s.size()) return true;
  if (s[at] == '*' || s[at] == '(') return false;  // RFC 2231 or a comment
  if (s[at] != '=') return true;                   // another word ("boundaryless")
  at = skip_cfws(s, at + 1);
  if (at >= s.size()) return true;
  if (s[at] == '(') return false;
  std::string value;
  if (s[at] == '"') {
    for (++at; at < s.size() && s[at] != '"' && value.size() < kValueCap; ++at) {
      if (s[at] == '\\' || s[at] == '\r' || s[at] == '\n') return false;
      value.push_back(s[at]);
    }
  } else {
    value = unfolded_rest(s, at);
  }
  if (value.find("=?") != std::string::npos) return false;  // RFC 2047 encoded word
  d.values.push_back(std::move(value));
  return true;
}

Declarations declarations(std::string_view s) {
  Declarations d;
  for (std::size_t at = 0; at + kParam.size() <= s.size(); ++at) {
    if (util::ascii_lower(s[at]) != 'b' || !iequal_at(s, at, kParam)) continue;
    if (d.values.size() >= kMaxDeclarations || !read_declaration(s, at + kParam.size(), d)) {
      d.literal = false;
      d.values.clear();
      return d;
    }
    at += kParam.size() - 1;
  }
  std::sort(d.values.begin(), d.values.end());
  d.values.erase(std::unique(d.values.begin(), d.values.end()), d.values.end());
  return d;
}

// True when `rem` is a prefix of a declared value (the values are sorted: the first value not
// less than `rem` is the only candidate).
bool prefix_of_declared(std::string_view rem, const std::vector<std::string>& values) {
  // "--" alone (or a signature's "-- ") ends a part only for an empty boundary, sorted first.
  if (rem.empty()) return !values.empty() && values.front().empty();
  rem = rem.substr(0, kValueCap);
  auto it = std::lower_bound(values.begin(), values.end(), rem,
                             [](const std::string& v, std::string_view r) { return v < r; });
  return it != values.end() && std::string_view(*it).starts_with(rem);
}

bool delimiter_line(std::string_view line, const Declarations& d) {
  if (!line.starts_with("--")) return false;
  if (!d.literal) return true;
  std::string_view rem = line.substr(2);
  while (!rem.empty() && (lwsp(rem.back()) || rem.back() == '\r')) rem.remove_suffix(1);
  if (prefix_of_declared(rem, d.values)) return true;
  return rem.ends_with("--") && prefix_of_declared(rem.substr(0, rem.size() - 2), d.values);
}

bool contains_ci(std::string_view s, std::string_view word) {
  for (std::size_t at = 0; at + word.size() <= s.size(); ++at) {
    if (iequal_at(s, at, word)) return true;
  }
  return false;
}

// The header blocks GMime parses: the message's own, one after every boundary line, and one
// after a block whose Content-Type names a message/* type (an attached message's header). A
// block ends at its empty line. Every field-starting line in them counts; an over-count (a
// "--" line that is no boundary, a Content-Type that only mentions "message") is safe.
struct HeaderBlocks {
  bool in_headers = true;
  bool in_content_type = false;  // the field being read is a Content-Type
  bool embedded = false;         // this block's Content-Type may be message/*

  void line(std::string_view l, bool delimiter, MimeShape& shape) {
    if (delimiter) {
      in_headers = true;
      embedded = in_content_type = false;
      return;
    }
    if (!in_headers) return;
    if (l.ends_with('\r')) l.remove_suffix(1);
    if (l.empty()) {
      in_headers = embedded;
      embedded = in_content_type = false;
      return;
    }
    if (!lwsp(l.front())) {
      ++shape.header_lines;
      in_content_type = iequal_at(l, 0, "content-type");
    }
    if (in_content_type && contains_ci(l, "message")) embedded = true;
  }
};

}  // namespace

// GMime accepts blanks before the colon ("Content-Type :"); folded continuation lines do not
// start a count.
std::size_t count_content_type_lines(std::string_view message) {
  constexpr std::string_view kName = "content-type";
  std::size_t count = 0;
  std::size_t at = 0;
  while (at < message.size()) {
    if (iequal_at(message, at, kName)) {
      std::size_t colon = at + kName.size();
      while (colon < message.size() && lwsp(message[colon])) ++colon;
      if (colon < message.size() && message[colon] == ':') ++count;
    }
    const auto nl = message.find('\n', at);
    if (nl == std::string_view::npos) break;
    at = nl + 1;
  }
  return count;
}

namespace {

bool has_bare_cr(std::string_view s) {
  for (std::size_t at = s.find('\r'); at != std::string_view::npos; at = s.find('\r', at + 1)) {
    if (bare_cr(s, at)) return true;
  }
  return false;
}

// Adds the lines of `text` (whole lines, or a window's) to `shape`.
void add_lines(std::string_view text, const Declarations& d, HeaderBlocks& headers,
               MimeShape& shape) {
  shape.content_type_lines += count_content_type_lines(text);
  for (std::size_t at = 0; at < text.size();) {
    const auto nl = text.find('\n', at);
    const std::size_t end = nl == std::string_view::npos ? text.size() : nl;
    const std::string_view line = text.substr(at, end - at);
    const bool delimiter = delimiter_line(line, d);
    if (delimiter) ++shape.delimiter_lines;
    headers.line(line, delimiter, shape);
    at = end + 1;
  }
}

MimeShape shape_of(std::string_view message, bool follow_declarations) {
  MimeShape shape;
  Declarations d;
  if (follow_declarations) {
    d = declarations(message);
  } else {
    d.literal = false;
  }
  shape.literal_boundaries = d.literal;
  HeaderBlocks headers;
  add_lines(message, d, headers, shape);
  return shape;
}

// Where a window may end: after a LF whose next line does not continue a field (no blank
// first), in `text` past `from`; npos when there is none.
std::size_t clean_cut(std::string_view text, std::size_t from) {
  for (std::size_t nl = text.rfind('\n'); nl != std::string_view::npos && nl >= from;
       nl = nl == 0 ? std::string_view::npos : text.rfind('\n', nl - 1)) {
    if (nl + 1 < text.size() && !lwsp(text[nl + 1]) && text[nl + 1] != '\r') return nl + 1;
  }
  return std::string_view::npos;
}

// A line longer than two windows is not kept whole (a body of one long base64 line is
// ordinary): it is handed on as what the counts read of a line: its first kLineStart bytes, a
// colon after "Content-Type" and any blanks when the line has one, then " message" (so a
// Content-Type line of it may announce an attached message: an over-count), and its own end. The
// windows from there on are not clean, so every "--" line counts.
constexpr std::size_t kLineStart = 16;
constexpr std::string_view kContentType = "content-type";

// Cuts the message, piece by piece, into windows of whole lines of up to 2 * `size` bytes (see
// the header): at a clean cut where there is one (clean), else at the last line end (not clean).
// A line ends after LF, or after a bare CR, which the counts take as a line break.
class Windows {
 public:
  using Sink = std::function<void(std::string_view, bool)>;
  Windows(std::size_t size, const Sink& window) : size_(size), window_(window) {}

  void add(std::string_view piece) {
    std::string held;  // the bytes of carry_ after a long line's start, fed on
    while (!piece.empty()) {
      if (skipping_) {
        piece = skip(piece);
        continue;
      }
      carry_.append(piece);
      piece = {};
      while (!skipping_ && carry_.size() >= 2 * size_) cut();
      if (skipping_) {
        held = std::exchange(carry_, {});
        piece = std::string_view(held).substr(std::min(held.size(), resume_));
      }
    }
  }
  void finish() {
    if (skipping_) end_long_line();
    if (!carry_.empty()) window_(carry_, !shortened_);
  }

 private:
  enum class Field { kNo, kBlanks, kColon };

  void cut() {
    const std::string_view first = std::string_view(carry_).substr(0, 2 * size_);
    std::size_t at = clean_cut(first, 1);
    const bool clean = at != std::string_view::npos;
    if (!clean) at = last_line_end(first);
    if (at == std::string_view::npos) return start_long_line();
    window_(first.substr(0, at), clean && !shortened_);
    carry_.erase(0, at);
  }
  std::size_t last_line_end(std::string_view first) const {
    for (std::size_t i = first.size(); i-- > 0;) {
      if (first[i] == '\n') return i + 1;
      if (first[i] == '\r' && i + 1 < carry_.size() && carry_[i + 1] != '\n') return i + 1;
    }
    return std::string_view::npos;
  }
  // carry_ starts a line with no end in its first 2 * size_ bytes.
  void start_long_line() {
    skipping_ = shortened_ = true;
    start_ = carry_.substr(0, kLineStart);
    const bool named = iequal_at(carry_, 0, kContentType);
    field_ = named ? Field::kBlanks : Field::kNo;
    resume_ = named ? kContentType.size() : kLineStart;  // the blanks after the name are read
  }
  // Reads on to the long line's end; returns the bytes from its end on (the end included).
  std::string_view skip(std::string_view piece) {
    const std::size_t end = piece.find_first_of("\r\n");
    for (std::size_t i = 0; field_ == Field::kBlanks && i < std::min(end, piece.size()); ++i)
      if (!lwsp(piece[i])) field_ = piece[i] == ':' ? Field::kColon : Field::kNo;
    if (end == std::string_view::npos) return {};
    end_long_line();
    return piece.substr(end);
  }
  void end_long_line() {
    carry_ = field_ == Field::kColon ? start_.substr(0, kContentType.size()) + ":" : start_;
    carry_ += " message";
    skipping_ = false;
  }

  std::size_t size_;
  const Sink& window_;
  std::string carry_;  // starts at a line start
  bool skipping_ = false;
  bool shortened_ = false;  // a long line was shortened: no window is clean from there on
  std::string start_;       // the long line's first bytes
  Field field_ = Field::kNo;
  std::size_t resume_ = 0;
};

// Hands the message to `window(text, clean)` in windows (class Windows). False when the file
// cannot be read.
bool for_each_window(const mail::MessageContent& message, std::size_t size,
                     const Windows::Sink& window) {
  Windows windows(size, window);
  auto read = message.for_each_piece(size, [&windows](std::string_view piece) {
    windows.add(piece);
    return true;
  });
  if (!read) return false;
  windows.finish();
  return true;
}

}  // namespace

// A bare CR (one not before LF) may end a line for GMime or be part of one, and GMime skips it
// inside a header field ("bound\rary=" is a boundary parameter; found by fuzz_mime_guard in its
// 10-minute run). Such a message is read with every bare CR as a line break and every "--" line
// counted as a delimiter: more lines and more delimiters than GMime can see, an upper bound
// either way. (SMTP refuses bare CRs before any scan; files and released mail still come here.)
MimeShape mime_shape(std::string_view message) {
  if (!has_bare_cr(message)) return shape_of(message, true);
  std::string lines(message);
  for (std::size_t at = 0; at < lines.size(); ++at) {
    if (bare_cr(lines, at)) lines[at] = '\n';
  }
  return shape_of(lines, false);
}

namespace {

std::string refusal_of(const MimeShape& shape, std::size_t max_parts,
                       std::size_t max_header_fields) {
  if (shape.delimiter_lines > max_parts + 1)  // n parts have n + 1 delimiters with the last
    return "message has more than " + std::to_string(max_parts) +
           " MIME parts (boundary lines), not parsed";
  if (shape.content_type_lines > max_parts)
    return "message has more than " + std::to_string(max_parts) +
           " MIME parts (Content-Type fields), not parsed";
  if (shape.header_lines > max_header_fields)
    return "message has more than " + std::to_string(max_header_fields) +
           " header fields in its parts, not parsed";
  return {};
}

}  // namespace

MimeShape mime_shape(const mail::MessageContent& message, bool& readable,
                     std::size_t window_bytes) {
  readable = true;
  if (!message.spilled()) return mime_shape(message.memory);
  // First pass: the declarations of every window (each window's are its own, see the header).
  Declarations all;
  readable = for_each_window(message, window_bytes, [&all](std::string_view text, bool clean) {
    if (!all.literal) return;
    Declarations d = clean && !has_bare_cr(text) ? declarations(text) : Declarations{{}, false};
    all.literal = d.literal && all.values.size() + d.values.size() <= kMaxDeclarations;
    all.values.insert(all.values.end(), d.values.begin(), d.values.end());
  });
  if (!readable) return {};
  if (all.literal) {
    std::sort(all.values.begin(), all.values.end());
    all.values.erase(std::unique(all.values.begin(), all.values.end()), all.values.end());
  } else {
    all.values.clear();
  }
  // Second pass: the lines, with one header-block state across the windows.
  MimeShape shape;
  shape.literal_boundaries = all.literal;
  HeaderBlocks headers;
  readable = for_each_window(message, window_bytes, [&](std::string_view text, bool) {
    if (!has_bare_cr(text)) return add_lines(text, all, headers, shape);
    std::string lines(text);  // as mime_shape does for one piece
    for (std::size_t at = 0; at < lines.size(); ++at)
      if (bare_cr(lines, at)) lines[at] = '\n';
    add_lines(lines, all, headers, shape);
  });
  return shape;
}

std::string mime_parse_refusal(const mail::MessageContent& message, std::size_t max_parts,
                               std::size_t max_header_fields) {
  bool readable = true;
  const MimeShape shape = mime_shape(message, readable);
  if (!readable) return "the message file cannot be read, not parsed";
  return refusal_of(shape, max_parts, max_header_fields);
}

std::string mime_parse_refusal(std::string_view message, std::size_t max_parts,
                               std::size_t max_header_fields) {
  return refusal_of(mime_shape(message), max_parts, max_header_fields);
}

}  // namespace pw::scan
