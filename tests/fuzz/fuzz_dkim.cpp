// libFuzzer target for the DKIM code that reads client bytes or DNS text: header field
// splitting and canonicalisation, the streaming body hasher (split at a fuzzer-chosen point it
// must hash exactly like one piece), and the key record parser of `dkim check`.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "dkim/canonical.hpp"
#include "dkim/private_key.hpp"
#include "dkim/signer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t split = size ? data[0] % (size + 1) : 0;

  for (const auto& field : pw::dkim::split_header_fields(pw::dkim::header_section(input))) {
    auto relaxed = pw::dkim::canonical_header(pw::dkim::Canon::kRelaxed, field.raw);
    if (relaxed.size() < 3 || !relaxed.ends_with("\r\n")) std::abort();
    (void)pw::dkim::canonical_header(pw::dkim::Canon::kSimple, field.raw);
  }

  pw::dkim::BodyHasher whole;
  whole.update(input);
  auto a = whole.finish();
  pw::dkim::BodyHasher pieces;
  pieces.update(input.substr(0, split));
  pieces.update(input.substr(split));
  auto b = pieces.finish();
  if (a.relaxed != b.relaxed || a.simple != b.simple || a.relaxed.size() != 32) std::abort();

  (void)pw::dkim::parse_key_record(input);
  (void)pw::dkim::parse_canonicalization(input);
  return 0;
}
