// DKIM canonicalisation (RFC 6376 section 3.4): the "simple" and "relaxed" forms of header fields,
// and a streaming body canonicaliser that never holds more than a few bytes of state, so the body
// hash is computed while DATA is read (no second pass over a large message).
// Hand-written: OpenSSL signs and hashes but has no DKIM; libopendkim is a milter library built
// around its own message handling, and the whole algorithm is a few dozen lines.
// Trust: the bytes come from the SMTP client; nothing here allocates in proportion to them except
// the output buffer handed to the sink, which is flushed every few KiB.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace pw::dkim {

enum class Canon { kSimple, kRelaxed };

struct Canonicalization {
  Canon header = Canon::kRelaxed;
  Canon body = Canon::kRelaxed;
};

// "relaxed/relaxed", "simple", "relaxed/simple"... (RFC 6376 3.5 c=; a missing body part means
// "simple").
Result<Canonicalization> parse_canonicalization(std::string_view text);
std::string to_string(Canonicalization c);  // the c= value, e.g. "relaxed/relaxed"

// One header field as it appears in the message: its name, the colon, its value with any folding,
// and the final CRLF (which may be missing). Returns the canonical form, ending in CRLF.
std::string canonical_header(Canon canon, std::string_view field);

// Streams a message body into its canonical form (RFC 6376 3.4.3, 3.4.4), emitting the result to
// a sink in pieces. Trailing empty lines are dropped; a simple empty body becomes one CRLF.
class BodyCanonicalizer {
 public:
  using Sink = std::function<void(std::string_view)>;
  BodyCanonicalizer(Canon canon, Sink sink) : canon_(canon), sink_(std::move(sink)) {}

  void update(std::string_view bytes);
  void finish();  // call once, after the last update

 private:
  void end_line();
  void content(char c);
  void emit(std::string_view bytes);
  void flush();

  Canon canon_;
  Sink sink_;
  std::string out_;            // pending output, handed to the sink in blocks
  uint64_t pending_crlf_ = 0;  // line ends not yet written (they may be trailing)
  bool cr_ = false;            // the last byte was CR
  bool wsp_ = false;           // relaxed: whitespace seen since the last content byte
  bool line_has_content_ = false;
  bool emitted_ = false;  // anything written at all
};

// Computes a DKIM body hash incrementally from the whole message as it arrives (header and
// body): the bytes up to the first empty line are skipped, the rest is canonicalised and hashed
// with SHA-256. Both canonicalisations are computed when asked, so the signing choice can be made
// later.
class BodyHasher {
 public:
  explicit BodyHasher(bool relaxed = true, bool simple = true);
  ~BodyHasher();
  BodyHasher(const BodyHasher&) = delete;
  BodyHasher& operator=(const BodyHasher&) = delete;

  void update(std::string_view message_bytes);
  // The raw 32-byte digests; call once. Empty for a canonicalisation that was not asked for.
  struct Digests {
    std::string relaxed;
    std::string simple;
    const std::string& of(Canon c) const { return c == Canon::kRelaxed ? relaxed : simple; }
  };
  Digests finish();
  uint64_t bytes_seen() const { return seen_; }

 private:
  struct State;
  State* state_;
  uint64_t seen_ = 0;
};

}  // namespace pw::dkim
