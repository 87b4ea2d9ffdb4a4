// Fuzzy fingerprints (F-FUZZY): normaliser, word shingles, MinHash and LSH band keys.
// Trust: the text is hostile client bytes (invalid UTF-8 included); nothing is indexed without a
// bound check and the work is one pass over the text plus kFuzzySlots mixes per distinct shingle.
//
// Written by hand: no Debian library does MinHash or shingling (the fuzzy hashes packaged, ssdeep
// and TLSH, hash byte streams, so a changed name shifts their blocks; rspamd's fuzzy module is not
// a library). Only the Unicode lower-casing is GLib's (already linked through GMime).
#include "scan/fuzzy_fingerprint.hpp"

#include <glib.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <memory>

#include "util/ascii_text.hpp"

namespace pw::scan {
namespace {

constexpr std::size_t kSlotBytes = 2;
constexpr std::size_t kFingerprintBytes = kFuzzySlots * kSlotBytes;
constexpr std::size_t kEncodedChars = (kFingerprintBytes * 8 + 5) / 6;  // base64 without padding
constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// SplitMix64's finaliser: a fast, well-mixing 64-bit permutation.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// One seed per MinHash function, from a fixed start: fingerprints are the same in every run and
// on every node.
constexpr std::array<std::uint64_t, kFuzzySlots> make_seeds() {
  std::array<std::uint64_t, kFuzzySlots> seeds{};
  std::uint64_t state = 0x706f73747761726eULL;  // "postwarn"
  for (auto& seed : seeds) {
    state += 0x9e3779b97f4a7c15ULL;
    seed = mix64(state);
  }
  return seeds;
}
constexpr auto kSeeds = make_seeds();

struct GFreeDeleter {
  void operator()(gchar* p) const { g_free(p); }
};

// Valid UTF-8, lower-cased. Invalid sequences become U+FFFD (a separator below). ASCII text,
// most of what is sent, is lower-cased here without GLib's two copies and per-character
// Unicode look-up (5 % of the submit path's CPU before, issue 17); the result is the same.
std::string lower_utf8(std::string_view text) {
  // NUL is not in the fast path: g_utf8_make_valid turns it into U+FFFD.
  const auto plain_ascii = [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u != 0 && u < 0x80;
  };
  if (std::all_of(text.begin(), text.end(), plain_ascii)) return util::ascii_lowercase(text);
  std::unique_ptr<gchar, GFreeDeleter> valid(
      g_utf8_make_valid(text.data(), static_cast<gssize>(text.size())));
  if (!valid) return {};
  std::unique_ptr<gchar, GFreeDeleter> lowered(g_utf8_strdown(valid.get(), -1));
  return lowered ? std::string(lowered.get()) : std::string();
}

bool is_ascii_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}
bool is_ascii_letter(unsigned char c) { return c >= 'a' && c <= 'z'; }
bool is_ascii_digit(unsigned char c) { return c >= '0' && c <= '9'; }

// Length of the UTF-8 sequence starting with `lead` (the text is valid UTF-8 here).
std::size_t utf8_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  return 2;
}

// Unicode characters that separate words like ASCII punctuation does: U+00A0..U+00BF (no-break
// space, «», ...), U+2000..U+206F (spaces, dashes, quotes, ellipsis), U+3000..U+303F (CJK
// punctuation) and U+FFFD (what invalid bytes became).
bool is_unicode_separator(std::string_view seq) {
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(seq[i]); };
  if (seq.size() == 2) return b(0) == 0xC2 && b(1) >= 0xA0;
  if (seq.size() == 3) {
    if (b(0) == 0xE2 && (b(1) == 0x80 || b(1) == 0x81)) return true;
    if (b(0) == 0xE3 && b(1) == 0x80) return true;
    if (b(0) == 0xEF && b(1) == 0xBF && b(2) == 0xBD) return true;
  }
  return false;
}

// Tokens of letters and digits this long, with a digit, made only of id characters, are ids.
bool looks_like_id(std::string_view core) {
  if (core.size() < kIdLength) return false;
  bool digit = false;
  for (unsigned char c : core) {
    if (is_ascii_digit(c)) {
      digit = true;
    } else if (!is_ascii_letter(c) && c != '-' && c != '_' && c != '=' && c != '+' && c != '/' &&
               c != '.') {
      return false;
    }
  }
  return digit;
}

// A URL keeps scheme, host and path: the query string and fragment carry per-recipient ids.
std::string_view cut_url_query(std::string_view token) {
  if (token.find("://") == std::string_view::npos && !token.starts_with("www.")) return token;
  return token.substr(0, token.find_first_of("?#"));
}

std::string_view strip_ascii_punctuation(std::string_view token) {
  const auto keep = [](unsigned char c) { return c >= 0x80 || std::isalnum(c) != 0; };
  while (!token.empty() && !keep(static_cast<unsigned char>(token.front()))) token.remove_prefix(1);
  while (!token.empty() && !keep(static_cast<unsigned char>(token.back()))) token.remove_suffix(1);
  return token;
}

void add_piece(std::string_view piece, std::vector<std::string>& words) {
  if (piece.empty()) return;
  bool digit = false, letter = false;
  std::string word;
  word.reserve(piece.size());
  for (unsigned char c : piece) {
    if (is_ascii_digit(c)) {
      digit = true;
    } else {
      letter = true;
      word.push_back(static_cast<char>(c));
    }
  }
  if (digit && letter && piece.size() >= kIdLength) return;  // an id inside a longer token
  if (!word.empty()) words.push_back(std::move(word));
}

void split_token(std::string_view token, std::vector<std::string>& words) {
  token = cut_url_query(token);
  if (looks_like_id(strip_ascii_punctuation(token))) return;
  std::size_t start = 0;
  std::size_t i = 0;
  while (i < token.size()) {
    const auto c = static_cast<unsigned char>(token[i]);
    const std::size_t len = std::min(utf8_length(c), token.size() - i);
    const bool separator = c < 0x80 ? (!is_ascii_letter(c) && !is_ascii_digit(c))
                                    : is_unicode_separator(token.substr(i, len));
    if (separator) {
      add_piece(token.substr(start, i - start), words);
      start = i + len;
    }
    i += len;
  }
  add_piece(token.substr(start), words);
}

std::uint64_t shingle_hash(const std::vector<std::string>& words, std::size_t first) {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
  for (std::size_t w = first; w < first + kShingleWords; ++w) {
    for (unsigned char c : words[w]) {
      h ^= c;
      h *= 0x100000001b3ULL;
    }
    h ^= 0x1F;  // word separator
    h *= 0x100000001b3ULL;
  }
  return mix64(h);
}

int base64_value(char c) {
  const auto at = kBase64Url.find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

}  // namespace

std::vector<std::string> normalise_words(std::string_view text) {
  const std::string lowered = lower_utf8(text);
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < lowered.size()) {
    while (i < lowered.size() && is_ascii_space(static_cast<unsigned char>(lowered[i]))) ++i;
    const std::size_t start = i;
    while (i < lowered.size() && !is_ascii_space(static_cast<unsigned char>(lowered[i]))) ++i;
    if (i > start) split_token(std::string_view(lowered).substr(start, i - start), words);
  }
  return words;
}

std::optional<FuzzyFingerprint> fuzzy_fingerprint(std::string_view text, std::size_t min_shingles) {
  const auto words = normalise_words(text);
  if (words.size() < kShingleWords) return std::nullopt;
  std::vector<std::uint64_t> shingles;
  shingles.reserve(words.size() - kShingleWords + 1);
  for (std::size_t first = 0; first + kShingleWords <= words.size(); ++first) {
    shingles.push_back(shingle_hash(words, first));
  }
  std::sort(shingles.begin(), shingles.end());
  shingles.erase(std::unique(shingles.begin(), shingles.end()), shingles.end());
  if (shingles.empty() || shingles.size() < min_shingles) return std::nullopt;

  std::array<std::uint64_t, kFuzzySlots> mins;
  mins.fill(std::numeric_limits<std::uint64_t>::max());
  for (std::uint64_t shingle : shingles) {
    for (std::size_t slot = 0; slot < kFuzzySlots; ++slot) {
      mins[slot] = std::min(mins[slot], mix64(shingle ^ kSeeds[slot]));
    }
  }
  FuzzyFingerprint fp;
  fp.shingles = shingles.size();
  for (std::size_t slot = 0; slot < kFuzzySlots; ++slot) {
    fp.slots[slot] = static_cast<std::uint16_t>(mins[slot] >> 48);
  }
  return fp;
}

double similarity(const FuzzyFingerprint& a, const FuzzyFingerprint& b) {
  std::size_t equal = 0;
  for (std::size_t slot = 0; slot < kFuzzySlots; ++slot) equal += a.slots[slot] == b.slots[slot];
  return static_cast<double>(equal) / static_cast<double>(kFuzzySlots);
}

std::string FuzzyFingerprint::to_string() const {
  std::array<unsigned char, kFingerprintBytes> bytes;
  for (std::size_t slot = 0; slot < kFuzzySlots; ++slot) {
    bytes[2 * slot] = static_cast<unsigned char>(slots[slot] >> 8);
    bytes[2 * slot + 1] = static_cast<unsigned char>(slots[slot] & 0xFF);
  }
  std::string out(kFuzzyPrefix);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char byte : bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kBase64Url[(buffer >> bits) & 0x3F]);
    }
  }
  if (bits > 0) out.push_back(kBase64Url[(buffer << (6 - bits)) & 0x3F]);
  return out;
}

Result<FuzzyFingerprint> FuzzyFingerprint::parse(std::string_view text) {
  if (!text.starts_with(kFuzzyPrefix))
    return fail("a fuzzy fingerprint starts with \"" + std::string(kFuzzyPrefix) + "\"");
  text.remove_prefix(kFuzzyPrefix.size());
  if (text.size() != kEncodedChars)
    return fail("a fuzzy fingerprint has " + std::to_string(kEncodedChars) +
                " characters after \"" + std::string(kFuzzyPrefix) + "\", this one has " +
                std::to_string(text.size()));
  std::array<unsigned char, kFingerprintBytes> bytes{};
  std::size_t out = 0;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int value = base64_value(c);
    if (value < 0)
      return fail("a fuzzy fingerprint holds only base64url characters (A-Z a-z 0-9 - _)");
    buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[out++] = static_cast<unsigned char>((buffer >> bits) & 0xFF);
    }
  }
  if ((buffer & ((1u << bits) - 1)) != 0)
    return fail("a fuzzy fingerprint has stray bits at its end");
  FuzzyFingerprint fp;
  for (std::size_t slot = 0; slot < kFuzzySlots; ++slot) {
    fp.slots[slot] = static_cast<std::uint16_t>((bytes[2 * slot] << 8) | bytes[2 * slot + 1]);
  }
  return fp;
}

std::array<std::uint64_t, kFuzzyBands> FuzzyFingerprint::bands() const {
  std::array<std::uint64_t, kFuzzyBands> keys{};
  for (std::size_t band = 0; band < kFuzzyBands; ++band) {
    std::uint64_t packed = 0;
    for (std::size_t row = 0; row < kFuzzyBandRows; ++row) {
      packed = (packed << 16) | slots[band * kFuzzyBandRows + row];
    }
    keys[band] = mix64(packed ^ kSeeds[band]);
  }
  return keys;
}

}  // namespace pw::scan
