// Fuzzes the prvs= tag parser and verifier of F-BATV (batv/prvs.cpp) with RCPT addresses.
// Promises checked: it never crashes; a tagged parse has a key 0-9, a day 0-999 and an original
// holding '@' with text on both sides, and is a suffix of the input; verify() agrees with
// parse() on untagged/malformed; tagging the parsed original again with the parsed key and day
// gives back the input up to case; a valid verdict only comes with a hash recomputed from the key.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "batv/prvs.hpp"

namespace {

void check(bool promise) {
  if (!promise) std::abort();
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view address(reinterpret_cast<const char*>(data), size);
  pw::batv::KeyRing keys;
  keys.secrets[3] = "fuzz-key-three-fuzz-key-three-33";
  keys.secrets[7] = "fuzz-key-seven-fuzz-key-seven-77";
  keys.current = 7;
  const int64_t now = 20000LL * 86400;
  auto parsed = pw::batv::parse(address, 320);
  auto verdict = pw::batv::verify(address, keys, now, 7, 320);
  if (parsed.status == pw::batv::ParseStatus::kUntagged)
    check(verdict.status == pw::batv::VerifyStatus::kUntagged);
  if (parsed.status == pw::batv::ParseStatus::kMalformed)
    check(verdict.status == pw::batv::VerifyStatus::kMalformed);
  if (parsed.status != pw::batv::ParseStatus::kTagged) return 0;
  check(address.size() <= 320);
  check(parsed.key >= 0 && parsed.key <= 9 && parsed.day >= 0 && parsed.day <= 999);
  size_t at = parsed.original.rfind('@');
  check(at != std::string::npos && at > 0 && at + 1 < parsed.original.size());
  check(address.size() > parsed.original.size() &&
        address.substr(address.size() - parsed.original.size()) == parsed.original);
  check(verdict.original == parsed.original);
  if (keys.has(parsed.key)) {
    auto again = pw::batv::tag_with_day(parsed.original, keys, parsed.key, parsed.day);
    bool same = lower(again.substr(0, 16)) == lower(address.substr(0, 16));
    if (verdict.status == pw::batv::VerifyStatus::kValid ||
        verdict.status == pw::batv::VerifyStatus::kExpired)
      check(same);
    if (verdict.status == pw::batv::VerifyStatus::kBadHash) check(!same);
  } else {
    check(verdict.status == pw::batv::VerifyStatus::kUnknownKey);
  }
  return 0;
}
