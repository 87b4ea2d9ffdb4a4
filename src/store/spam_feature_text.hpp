// The stored form of a spam example's features (F-SPAM learning): sorted feature numbers as the
// hex of their varint-encoded deltas. Kept apart from the repository so its parser can be fuzzed
// without a database. Trust: decode reads stored text as untrusted (bounds, order, termination).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace pw::store {

std::string encode_features(const std::vector<std::uint32_t>& features);
// An error for odd length, non-hex, an unterminated or too long varint, a feature at or above
// `limit`, or a repeated feature (features must be strictly increasing).
Result<std::vector<std::uint32_t>> decode_features(std::string_view text, std::uint32_t limit);

}  // namespace pw::store
