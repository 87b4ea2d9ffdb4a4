// Fuzzes base64 and SASL PLAIN decoding; decode(encode(x)) must give x back.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "auth/sasl.hpp"
#include "util/base64.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto decoded = pw::util::base64_decode(text)) (void)pw::auth::parse_plain(*decoded);
  auto round = pw::util::base64_decode(pw::util::base64_encode(text));
  if (!round || *round != text) std::abort();
  return 0;
}
