// F-BATV: the prvs= tag codec (draft-levine-smtp-batv-01 section 4), see prvs.hpp.
// SECURITY: parse() and verify() read client addresses; bounded, no allocation before the
// length check, constant-time hash comparison.
#include "batv/prvs.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdio>

#include "util/ascii_text.hpp"

namespace pw::batv {
namespace {

constexpr std::string_view kPrefix = "prvs=";
constexpr size_t kTagLength = 10;  // K DDD SSSSSS
constexpr int64_t kSecondsPerDay = 86400;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = util::ascii_lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool starts_with_prefix(std::string_view address) {
  if (address.size() < kPrefix.size()) return false;
  for (size_t i = 0; i < kPrefix.size(); ++i)
    if (util::ascii_lower(address[i]) != kPrefix[i]) return false;
  return true;
}

// The address the hash covers: the local part as given (it is case-sensitive), the domain
// lower-cased (a bounce may come back with the domain in another case).
std::string hash_input(int key, int day, std::string_view original) {
  char head[8];
  std::snprintf(head, sizeof head, "%d%03d", key, day);
  std::string input(head);
  size_t at = original.rfind('@');
  input.append(original.substr(0, at));
  if (at != std::string_view::npos)
    for (char c : original.substr(at)) input.push_back(util::ascii_lower(c));
  return input;
}

std::array<uint8_t, 3> tag_hash(const std::string& secret, int key, int day,
                                std::string_view original) {
  const std::string input = hash_input(key, day, original);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;
  std::array<uint8_t, 3> out{};
  if (HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
           &mac_length) == nullptr ||
      mac_length < out.size())
    return out;  // never happens with SHA-1; an all-zero hash then matches nothing we made
  for (size_t i = 0; i < out.size(); ++i) out[i] = mac[i];
  return out;
}

}  // namespace

ParsedTag parse(std::string_view address, size_t max_length) {
  ParsedTag parsed;
  if (!starts_with_prefix(address)) return parsed;  // untagged
  parsed.status = ParseStatus::kMalformed;
  if (address.size() > max_length) return parsed;
  std::string_view rest = address.substr(kPrefix.size());
  if (rest.size() < kTagLength + 1 || rest[kTagLength] != '=') return parsed;
  std::string_view value = rest.substr(0, kTagLength);
  if (!is_digit(value[0]) || !is_digit(value[1]) || !is_digit(value[2]) || !is_digit(value[3]))
    return parsed;
  for (size_t i = 0; i < parsed.hash.size(); ++i) {
    int high = hex_value(value[4 + 2 * i]);
    int low = hex_value(value[5 + 2 * i]);
    if (high < 0 || low < 0) return parsed;
    parsed.hash[i] = static_cast<uint8_t>(high * 16 + low);
  }
  std::string_view original = rest.substr(kTagLength + 1);
  size_t at = original.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == original.size()) return parsed;
  parsed.key = value[0] - '0';
  parsed.day = (value[1] - '0') * 100 + (value[2] - '0') * 10 + (value[3] - '0');
  parsed.original = std::string(original);
  parsed.status = ParseStatus::kTagged;
  return parsed;
}

std::string_view to_string(VerifyStatus status) {
  switch (status) {
    case VerifyStatus::kValid:
      return "valid";
    case VerifyStatus::kUntagged:
      return "untagged";
    case VerifyStatus::kMalformed:
      return "malformed";
    case VerifyStatus::kUnknownKey:
      return "unknown_key";
    case VerifyStatus::kExpired:
      return "expired";
    case VerifyStatus::kBadHash:
      return "bad_hash";
  }
  return "unknown";
}

int64_t day_number(int64_t unix_seconds) {
  int64_t day = unix_seconds / kSecondsPerDay;
  if (unix_seconds < 0 && unix_seconds % kSecondsPerDay != 0) --day;
  return day;
}

int expiry_day(int64_t unix_seconds, int64_t lifetime_days) {
  int64_t day = (day_number(unix_seconds) + lifetime_days) % kDayModulus;
  return static_cast<int>(day < 0 ? day + kDayModulus : day);
}

std::string tag_with_day(std::string_view original, const KeyRing& keys, int key, int day) {
  if (!keys.has(key) || day < 0 || day >= kDayModulus) return std::string(original);
  auto hash = tag_hash(keys.secrets[static_cast<size_t>(key)], key, day, original);
  char value[16];
  std::snprintf(value, sizeof value, "%d%03d%02x%02x%02x=", key, day, hash[0], hash[1], hash[2]);
  std::string out(kPrefix);
  out += value;
  out += original;
  return out;
}

std::string tag(std::string_view original, const KeyRing& keys, int64_t now,
                int64_t lifetime_days) {
  if (original.empty() || starts_with_prefix(original) || !keys.has(keys.current))
    return std::string(original);
  return tag_with_day(original, keys, keys.current, expiry_day(now, lifetime_days));
}

Verification verify(std::string_view address, const KeyRing& keys, int64_t now,
                    int64_t lifetime_days, size_t max_length) {
  Verification result;
  ParsedTag parsed = parse(address, max_length);
  if (parsed.status == ParseStatus::kUntagged) {
    result.status = VerifyStatus::kUntagged;
    return result;
  }
  if (parsed.status == ParseStatus::kMalformed) {
    result.status = VerifyStatus::kMalformed;
    return result;
  }
  result.original = parsed.original;
  result.key = parsed.key;
  if (!keys.has(parsed.key)) {
    result.status = VerifyStatus::kUnknownKey;
    return result;
  }
  // The hash first: only an authentic tag is told that it expired.
  auto expected = tag_hash(keys.secrets[static_cast<size_t>(parsed.key)], parsed.key, parsed.day,
                           parsed.original);
  if (CRYPTO_memcmp(expected.data(), parsed.hash.data(), expected.size()) != 0) {
    result.status = VerifyStatus::kBadHash;
    return result;
  }
  // Days from today to the tag's day, across the wrap at 1000.
  const int today = static_cast<int>(day_number(now) % kDayModulus + kDayModulus) % kDayModulus;
  const int left = ((parsed.day - today) % kDayModulus + kDayModulus) % kDayModulus;
  if (left > lifetime_days) {
    result.status = VerifyStatus::kExpired;
    return result;
  }
  result.days_left = left;
  result.status = VerifyStatus::kValid;
  return result;
}

}  // namespace pw::batv
