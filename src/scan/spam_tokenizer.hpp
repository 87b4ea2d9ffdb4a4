// Tokens of a message for the spam model (F-SPAM): lower-cased words of the decoded subject
// (prefixed "s:") and of the visible body text, bigrams of body words, URL hosts ("url:"), and a
// few shape tokens ("meta:"), hashed into a fixed feature space of 2^kFeatureBits buckets.
// A message is a set of features (presence, not counts). Trust: works on MessageText, which is
// bounded; the token and feature counts are bounded by kMaxTokens.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "scan/mime_text.hpp"

namespace pw::scan {

// Bumped whenever a token or the hash changes: a model trained on other tokens is refused.
inline constexpr std::uint32_t kTokenizerVersion = 2;  // 2: UTF-8 punctuation separates
inline constexpr std::uint32_t kFeatureBits = 20;
inline constexpr std::uint32_t kFeatureCount = 1u << kFeatureBits;
// Tokens taken from one message (words beyond it are not read): bounds the work per message.
inline constexpr std::size_t kMaxTokens = 20000;

struct TokenSet {
  std::vector<std::uint32_t> features;  // sorted, unique
  // feature → one token that produced it; filled only when asked (for reasons and tests).
  std::unordered_map<std::uint32_t, std::string> names;
};

TokenSet tokenize(const MessageText& text, bool keep_names = false);
// The token texts of a few `wanted` features (the model's clues), by tokenizing again: cheaper
// than keeping a name for every token of every message.
std::unordered_map<std::uint32_t, std::string> token_names(
    const MessageText& text, const std::vector<std::uint32_t>& wanted);

// The feature of one token text as tokenize() hashes it ("s:free", "url:example.com").
std::uint32_t feature_of(std::string_view token);

// Host of a URL ("https://User@Example.COM:80/x" → "example.com"), "" when there is none.
std::string url_host(std::string_view url);

// The last two labels of a host ("mail.example.com" → "example.com"); "" when fewer than two.
std::string_view last_two_labels(std::string_view host);

// Hosts of the URLs written in `text` (http://, https://, www.), at most `max_hosts`.
std::vector<std::string> url_hosts_in(std::string_view text, std::size_t max_hosts);

}  // namespace pw::scan
