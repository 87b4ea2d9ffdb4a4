// See spam_feature_text.hpp.
#include "store/spam_feature_text.hpp"

namespace pw::store {

namespace {

constexpr std::string_view kHex = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::string encode_features(const std::vector<std::uint32_t>& features) {
  std::string out;
  std::uint32_t previous = 0;
  for (auto f : features) {
    std::uint32_t delta = f - previous;
    previous = f;
    do {
      unsigned byte = delta & 0x7F;
      delta >>= 7;
      if (delta) byte |= 0x80;
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    } while (delta);
  }
  return out;
}

Result<std::vector<std::uint32_t>> decode_features(std::string_view text, std::uint32_t limit) {
  if (text.size() % 2) return fail("stored spam example has odd-length features");
  std::vector<std::uint32_t> out;
  std::uint64_t value = 0;
  int shift = 0;
  std::uint64_t previous = 0;
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int hi = hex_value(text[i]);
    const int lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0 || shift > 28) return fail("stored spam example has bad features");
    const auto byte = static_cast<unsigned>(hi * 16 + lo);
    value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
    shift += 7;
    if (byte & 0x80) continue;
    const std::uint64_t feature = previous + value;
    if (feature >= limit || (!out.empty() && value == 0))
      return fail("stored spam example has bad features");
    out.push_back(static_cast<std::uint32_t>(feature));
    previous = feature;
    value = 0;
    shift = 0;
  }
  if (shift != 0) return fail("stored spam example has truncated features");
  return out;
}

}  // namespace pw::store
