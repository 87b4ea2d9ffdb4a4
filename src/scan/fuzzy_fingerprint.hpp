// Fuzzy fingerprints of message bodies (F-FUZZY): a MinHash of word shingles of the normalised
// visible text, so that one campaign sent with a different greeting, name or number still gets
// (nearly) the same fingerprint. Printable form "fz1:" + base64url of 64 16-bit slots.
// Trust: the text is the client's message; work is linear in the text, which the caller bounds.
//
// How to call it:
//   auto fp = pw::scan::fuzzy_fingerprint(body_text, min_shingles);  // nullopt: text too short
//   double s = pw::scan::similarity(*fp, *other);                     // 0.0 .. 1.0
//   fp->bands()  → LSH band keys: two fingerprints with s >= 0.8 share a band key with a
//                  probability above 0.999, so an index of band keys finds near duplicates.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace pw::scan {

// Format constants of "fz1": changing any of them changes every fingerprint, so they are not
// configuration; a new format gets a new prefix.
inline constexpr std::string_view kFuzzyPrefix = "fz1:";
inline constexpr std::size_t kFuzzySlots = 64;    // MinHash hash functions
inline constexpr std::size_t kFuzzyBandRows = 4;  // slots per LSH band
inline constexpr std::size_t kFuzzyBands = kFuzzySlots / kFuzzyBandRows;
inline constexpr std::size_t kShingleWords = 4;  // words per shingle
// Words made of letters and digits this long or longer are tracking ids, not words.
inline constexpr std::size_t kIdLength = 8;

struct FuzzyFingerprint {
  std::array<std::uint16_t, kFuzzySlots> slots{};
  std::size_t shingles = 0;  // distinct shingles hashed (not part of the printable form)

  // "fz1:" + 171 base64url characters.
  std::string to_string() const;
  // Accepts exactly what to_string() writes; a one-line error otherwise.
  static Result<FuzzyFingerprint> parse(std::string_view text);
  // One key per band of kFuzzyBandRows slots, the band's index mixed in.
  std::array<std::uint64_t, kFuzzyBands> bands() const;

  bool operator==(const FuzzyFingerprint& other) const { return slots == other.slots; }
};

// The words the fingerprint is made of: lower-cased (GLib's Unicode lower-casing), URL query
// strings and fragments cut, long hex and other letter-and-digit ids dropped, digits removed,
// punctuation (ASCII and the common Unicode quotes, dashes and spaces) as separators.
std::vector<std::string> normalise_words(std::string_view text);

// nullopt when the text has fewer than `min_shingles` distinct shingles (too little to judge).
std::optional<FuzzyFingerprint> fuzzy_fingerprint(std::string_view text, std::size_t min_shingles);

// The fraction of equal slots: an estimate of the Jaccard similarity of the shingle sets.
double similarity(const FuzzyFingerprint& a, const FuzzyFingerprint& b);

}  // namespace pw::scan
