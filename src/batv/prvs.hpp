// F-BATV: the prvs= tag of draft-levine-smtp-batv-01 on an envelope sender: "prvs=KDDDSSSSSS=
// local@domain", K the key number (0-9), DDD the day the tag expires (days since 1970 mod 1000),
// SSSSSS the first 3 bytes of HMAC-SHA1(key, "KDDD" + original address) in hex. Tags an address
// and verifies one with a result that names why it failed.
// Hand-written: no Debian library implements BATV; the HMAC is OpenSSL's.
// SECURITY: verify() reads addresses from SMTP clients on the network (RCPT TO of bounces);
// every length is bounded and the hash is compared in constant time.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace pw::batv {

constexpr int kKeyNumbers = 10;    // K is one decimal digit
constexpr int kDayModulus = 1000;  // DDD is three decimal digits

// The secrets by key number; an empty secret is a key number not in use.
struct KeyRing {
  std::array<std::string, kKeyNumbers> secrets;
  int current = -1;  // the key new tags are made with; -1 = none

  bool has(int number) const {
    return number >= 0 && number < kKeyNumbers && !secrets[static_cast<size_t>(number)].empty();
  }
};

enum class ParseStatus { kTagged, kUntagged, kMalformed };

struct ParsedTag {
  ParseStatus status = ParseStatus::kUntagged;
  int key = 0;
  int day = 0;                    // DDD
  std::array<uint8_t, 3> hash{};  // SSSSSS
  std::string original;           // local@domain without the tag
};

// Splits a tagged address. "prvs=" and the hex digits in any case; the local part may hold '='.
// Longer than `max_length` octets is malformed.
ParsedTag parse(std::string_view address, size_t max_length = 320);

enum class VerifyStatus { kValid, kUntagged, kMalformed, kUnknownKey, kExpired, kBadHash };
std::string_view to_string(VerifyStatus status);  // "valid", "untagged", "bad_hash", ...

struct Verification {
  VerifyStatus status = VerifyStatus::kUntagged;
  std::string original;  // the address without its tag (when it parsed)
  int key = -1;
  int days_left = 0;  // when valid: days until the tag expires (0 = expires today)
};

// Whole days since 1970-01-01 UTC.
int64_t day_number(int64_t unix_seconds);
// The DDD of a tag made at `unix_seconds` that lives `lifetime_days`.
int expiry_day(int64_t unix_seconds, int64_t lifetime_days);

// "prvs=KDDDSSSSSS=original" with the key `key` (which must be in `keys`) and expiry day `day`.
std::string tag_with_day(std::string_view original, const KeyRing& keys, int key, int day);
// Tags `original` with the current key, expiring `lifetime_days` after `now`; the address
// unchanged when there is no current key or it is already tagged.
std::string tag(std::string_view original, const KeyRing& keys, int64_t now, int64_t lifetime_days);

// Checks a tagged address: its key is known, its hash matches, and its day has not passed.
// A day more than `lifetime_days` ahead (which this node never makes) counts as expired: with
// DDD taken mod 1000 it is a tag from more than 1000 - lifetime days ago.
Verification verify(std::string_view address, const KeyRing& keys, int64_t now,
                    int64_t lifetime_days, size_t max_length = 320);

}  // namespace pw::batv
