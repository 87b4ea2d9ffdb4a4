// Fuzzes the spam model file parser (scan/spam_model.cpp: header, entries, calibration steps,
// the learned-through id, checksum) and the stored features of learned examples
// (store/spam_feature_text.cpp). Both read bytes we did not write in this process.
// Promises checked: neither crashes; a parsed model scores any feature set to a probability in
// [0, 1] and serialises back to exactly the bytes it came from; decoded features are strictly
// increasing, below the limit, and encode back to the same text.
// The checksum would stop mutations at the first byte: the input's first byte chooses whether
// the rest is taken as it is or given a correct checksum first.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "scan/spam_model.hpp"
#include "scan/spam_tokenizer.hpp"
#include "store/spam_feature_text.hpp"

namespace {

void check(bool promise) {
  if (!promise) std::abort();
}

std::string with_checksum(std::string_view body) {
  std::string out(body);
  const std::uint64_t h = pw::scan::spam_model_checksum(out);
  for (int i = 0; i < 8; ++i) out += static_cast<char>((h >> (8 * i)) & 0xFF);
  return out;
}

void fuzz_model(const std::string& bytes) {
  auto model = pw::scan::SpamModel::parse(bytes);
  if (!model) return;
  check(model->serialise() == bytes);
  const pw::scan::FeatureSet features = {0, 1, 2, 4095, pw::scan::kFeatureCount - 1};
  const auto s = model->score(features, 3);
  check(s.probability >= 0 && s.probability <= 1 && !std::isnan(s.probability));
}

void fuzz_features(std::string_view text) {
  constexpr std::uint32_t kLimit = 1u << 20;
  auto decoded = pw::store::decode_features(text, kLimit);
  if (!decoded) return;
  for (std::size_t i = 0; i < decoded->size(); ++i) {
    check((*decoded)[i] < kLimit);
    if (i > 0) check((*decoded)[i] > (*decoded)[i - 1]);
  }
  check(pw::store::decode_features(pw::store::encode_features(*decoded), kLimit).value() ==
        *decoded);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  fuzz_model((data[0] & 1) ? with_checksum(rest) : std::string(rest));
  fuzz_features(rest);
  return 0;
}
