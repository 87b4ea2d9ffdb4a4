// See canonical.hpp.
#include "dkim/canonical.hpp"

#include <openssl/evp.h>

#include <optional>

namespace pw::dkim {
namespace {

constexpr size_t kFlushBytes = 16 * 1024;

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

std::optional<Canon> parse_one(std::string_view s) {
  if (s == "simple") return Canon::kSimple;
  if (s == "relaxed") return Canon::kRelaxed;
  return std::nullopt;
}

std::string_view name_of(Canon c) { return c == Canon::kRelaxed ? "relaxed" : "simple"; }

}  // namespace

Result<Canonicalization> parse_canonicalization(std::string_view text) {
  auto slash = text.find('/');
  std::string_view head = text.substr(0, slash);
  std::string_view body = slash == std::string_view::npos ? "simple" : text.substr(slash + 1);
  auto h = parse_one(head);
  auto b = parse_one(body);
  if (!h || !b)
    return fail(
        "canonicalization must be simple or relaxed, as header/body (e.g. "
        "relaxed/relaxed), got '" +
        std::string(text) + "'");
  return Canonicalization{*h, *b};
}

std::string to_string(Canonicalization c) {
  return std::string(name_of(c.header)) + "/" + std::string(name_of(c.body));
}

std::string canonical_header(Canon canon, std::string_view field) {
  if (canon == Canon::kSimple) {
    std::string out(field);
    if (!out.ends_with("\r\n")) out += "\r\n";
    return out;
  }
  // Relaxed: lower-case name, no WSP around the colon, unfolded, WSP runs as one SP, no WSP at
  // either end of the value.
  auto colon = field.find(':');
  std::string_view name = field.substr(0, colon);
  while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
  std::string out;
  out.reserve(field.size() + 2);
  for (char c : name) out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  out += ':';
  if (colon == std::string_view::npos) return out + "\r\n";
  std::string_view value = field.substr(colon + 1);
  bool space = false;
  bool started = false;
  for (char c : value) {
    if (c == '\r' || c == '\n') continue;  // unfold
    if (is_wsp(c)) {
      space = true;
      continue;
    }
    if (space && started) out += ' ';
    space = false;
    started = true;
    out += c;
  }
  out += "\r\n";
  return out;
}

// --- body ------------------------------------------------------------------------------------

void BodyCanonicalizer::emit(std::string_view bytes) {
  out_.append(bytes);
  emitted_ = true;
  if (out_.size() >= kFlushBytes) flush();
}

void BodyCanonicalizer::flush() {
  if (out_.empty()) return;
  sink_(out_);
  out_.clear();
}

void BodyCanonicalizer::end_line() {
  wsp_ = false;  // relaxed: whitespace at the end of a line is ignored
  line_has_content_ = false;
  ++pending_crlf_;
}

void BodyCanonicalizer::content(char c) {
  if (pending_crlf_ > 0) {
    for (; pending_crlf_ > 0; --pending_crlf_) emit("\r\n");
  }
  if (wsp_) {
    if (canon_ == Canon::kRelaxed) emit(" ");
    wsp_ = false;
  }
  out_ += c;
  emitted_ = true;
  line_has_content_ = true;
  if (out_.size() >= kFlushBytes) flush();
}

void BodyCanonicalizer::update(std::string_view bytes) {
  for (char c : bytes) {
    if (cr_) {
      cr_ = false;
      if (c == '\n') {
        end_line();
        continue;
      }
      content('\r');  // a CR not followed by LF is an ordinary octet
    }
    if (c == '\r') {
      cr_ = true;
    } else if (canon_ == Canon::kRelaxed && is_wsp(c)) {
      wsp_ = true;
    } else {
      content(c);
    }
  }
}

void BodyCanonicalizer::finish() {
  if (cr_) {
    cr_ = false;
    content('\r');
  }
  if (line_has_content_) {
    emit("\r\n");  // a last line without CRLF gets one
  } else if (pending_crlf_ > 0 && emitted_) {
    emit("\r\n");  // the line end of the last non-empty line; trailing empty lines dropped
  } else if (!emitted_ && canon_ == Canon::kSimple) {
    emit("\r\n");  // simple: an empty body is one CRLF (relaxed: empty)
  }
  flush();
}

// --- hasher ----------------------------------------------------------------------------------

struct BodyHasher::State {
  struct One {
    EVP_MD_CTX* md = nullptr;
    std::optional<BodyCanonicalizer> canon;
  };
  One relaxed;
  One simple;
  bool in_body = false;
  bool cr = false;
  uint64_t line_length = 0;  // of the current header line
};

BodyHasher::BodyHasher(bool relaxed, bool simple) : state_(new State) {
  auto init = [](State::One& one, Canon canon) {
    one.md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(one.md, EVP_sha256(), nullptr);
    EVP_MD_CTX* md = one.md;
    one.canon.emplace(canon,
                      [md](std::string_view b) { EVP_DigestUpdate(md, b.data(), b.size()); });
  };
  if (relaxed) init(state_->relaxed, Canon::kRelaxed);
  if (simple) init(state_->simple, Canon::kSimple);
}

BodyHasher::~BodyHasher() {
  EVP_MD_CTX_free(state_->relaxed.md);
  EVP_MD_CTX_free(state_->simple.md);
  delete state_;
}

void BodyHasher::update(std::string_view bytes) {
  seen_ += bytes.size();
  State& s = *state_;
  if (!s.in_body) {
    // The header ends at the first empty line (a CRLF at the start of a line).
    size_t i = 0;
    for (; i < bytes.size() && !s.in_body; ++i) {
      char c = bytes[i];
      if (s.cr && c == '\n') {
        s.cr = false;
        if (s.line_length == 0) s.in_body = true;
        s.line_length = 0;
        continue;
      }
      if (s.cr) ++s.line_length;  // the CR was an ordinary octet
      s.cr = c == '\r';
      if (!s.cr) ++s.line_length;
    }
    bytes.remove_prefix(i);
    if (!s.in_body) return;
  }
  if (s.relaxed.canon) s.relaxed.canon->update(bytes);
  if (s.simple.canon) s.simple.canon->update(bytes);
}

BodyHasher::Digests BodyHasher::finish() {
  Digests out;
  auto done = [](State::One& one, std::string& digest) {
    if (!one.canon) return;
    one.canon->finish();
    unsigned char buf[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(one.md, buf, &len);
    digest.assign(reinterpret_cast<const char*>(buf), len);
  };
  // A message without an empty line has no body: the canonicalisers see nothing.
  done(state_->relaxed, out.relaxed);
  done(state_->simple, out.simple);
  return out;
}

}  // namespace pw::dkim
