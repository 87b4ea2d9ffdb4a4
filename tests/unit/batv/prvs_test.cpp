// F-BATV: the prvs= tag codec against draft-levine-smtp-batv-01: the layout
// "prvs=KDDDSSSSSS=local@domain" with the hash recomputed here by OpenSSL's EVP_Q_mac (another
// entry point than the codec's), the expiry across the wrap of DDD at 1000, case handling, a
// local part holding '=', and every kind of failure.
#include "batv/prvs.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstdio>
#include <regex>

namespace pw::batv {
namespace {

constexpr int64_t kDay = 86400;

KeyRing ring_with(int number, std::string secret) {
  KeyRing ring;
  ring.secrets[static_cast<size_t>(number)] = std::move(secret);
  ring.current = number;
  return ring;
}

// HMAC-SHA1 by EVP_Q_mac, first 3 bytes in hex.
std::string reference_hash(const std::string& secret, const std::string& input) {
  unsigned char out[64];
  size_t length = 0;
  char digest[] = "SHA1";
  EVP_Q_mac(nullptr, "HMAC", nullptr, digest, nullptr, secret.data(), secret.size(),
            reinterpret_cast<const unsigned char*>(input.data()), input.size(), out, sizeof out,
            &length);
  char hex[8];
  std::snprintf(hex, sizeof hex, "%02x%02x%02x", out[0], out[1], out[2]);
  return hex;
}

TEST(BatvPrvs, TagFollowsTheDraftLayout) {
  const auto keys = ring_with(3, "0123456789abcdef0123456789abcdef");
  const int64_t now = 19000 * kDay + 3600;  // day 19000: DDD of a 7-day tag is 007
  std::string tagged = tag("alice@example.com", keys, now, 7);
  EXPECT_TRUE(std::regex_match(tagged, std::regex("prvs=3007[0-9a-f]{6}=alice@example\\.com")))
      << tagged;
  EXPECT_EQ(tagged.substr(9, 6), reference_hash(keys.secrets[3], "3007alice@example.com"));
  EXPECT_EQ(expiry_day(now, 7), 7);
  EXPECT_EQ(day_number(now), 19000);
}

TEST(BatvPrvs, VerifiesItsOwnTagAndGivesTheOriginal) {
  const auto keys = ring_with(0, "secret-zero-secret-zero-secret-0");
  const int64_t now = 20000 * kDay;
  auto tagged = tag("bob@Example.ORG", keys, now, 7);
  auto v = verify(tagged, keys, now, 7);
  EXPECT_EQ(v.status, VerifyStatus::kValid);
  EXPECT_EQ(v.original, "bob@Example.ORG");
  EXPECT_EQ(v.key, 0);
  EXPECT_EQ(v.days_left, 7);
  // Still valid on its last day, expired the day after.
  EXPECT_EQ(verify(tagged, keys, now + 7 * kDay + kDay - 1, 7).status, VerifyStatus::kValid);
  EXPECT_EQ(verify(tagged, keys, now + 8 * kDay, 7).status, VerifyStatus::kExpired);
}

TEST(BatvPrvs, CaseInsensitivePrefixHexAndDomain) {
  const auto keys = ring_with(5, "another secret of thirty-two byt");
  const int64_t now = 20001 * kDay;
  auto tagged = tag("Carol@example.net", keys, now, 7);
  std::string upper = tagged;
  for (size_t i = 0; i < 15; ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  ASSERT_EQ(upper.substr(0, 5), "PRVS=");
  EXPECT_EQ(verify(upper, keys, now, 7).status, VerifyStatus::kValid);
  std::string domain_upper = tagged.substr(0, tagged.find('@')) + "@EXAMPLE.NET";
  EXPECT_EQ(verify(domain_upper, keys, now, 7).status, VerifyStatus::kValid);
  // The local part is case-sensitive: another mailbox, another hash.
  std::string local_lower = tagged;
  local_lower[16] = 'c';
  EXPECT_EQ(verify(local_lower, keys, now, 7).status, VerifyStatus::kBadHash);
}

TEST(BatvPrvs, LocalPartMayHoldEquals) {
  const auto keys = ring_with(1, "k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1");
  const int64_t now = 20002 * kDay;
  auto tagged = tag("list=owner=x@example.com", keys, now, 7);
  auto parsed = parse(tagged);
  ASSERT_EQ(parsed.status, ParseStatus::kTagged);
  EXPECT_EQ(parsed.original, "list=owner=x@example.com");
  auto v = verify(tagged, keys, now, 7);
  EXPECT_EQ(v.status, VerifyStatus::kValid);
  EXPECT_EQ(v.original, "list=owner=x@example.com");
}

TEST(BatvPrvs, ExpiryAcrossTheWrapAtOneThousand) {
  const auto keys = ring_with(2, "wrapwrapwrapwrapwrapwrapwrapwrap");
  const int64_t made = 20996 * kDay;  // DDD 996 + 7 = 1003 -> 003
  auto tagged = tag("dave@example.com", keys, made, 7);
  EXPECT_EQ(tagged.substr(6, 3), "003");
  EXPECT_EQ(verify(tagged, keys, made, 7).days_left, 7);
  EXPECT_EQ(verify(tagged, keys, 20999 * kDay, 7).status, VerifyStatus::kValid);
  EXPECT_EQ(verify(tagged, keys, 21000 * kDay, 7).days_left, 3);
  EXPECT_EQ(verify(tagged, keys, 21003 * kDay, 7).status, VerifyStatus::kValid);
  EXPECT_EQ(verify(tagged, keys, 21004 * kDay, 7).status, VerifyStatus::kExpired);
  // A day far ahead (never made by us) is an old tag, not a young one.
  auto ahead = tag_with_day("dave@example.com", keys, 2, 500);
  EXPECT_EQ(verify(ahead, keys, 21000 * kDay, 7).status, VerifyStatus::kExpired);
}

TEST(BatvPrvs, EveryFailureKind) {
  const auto keys = ring_with(4, "fourfourfourfourfourfourfourfour");
  const int64_t now = 20100 * kDay;
  auto tagged = tag("erin@example.com", keys, now, 7);
  EXPECT_EQ(verify("erin@example.com", keys, now, 7).status, VerifyStatus::kUntagged);
  EXPECT_EQ(verify("", keys, now, 7).status, VerifyStatus::kUntagged);
  for (std::string bad : {"prvs=", "prvs=4107abcdef", "prvs=4107abcdef=", "prvs=4107abcdef=@x.y",
                          "prvs=4107abcdef=erin@", "prvs=4107abcdef=erin", "prvs=x107abcdef=a@b.c",
                          "prvs=41x7abcdef=a@b.c", "prvs=4107abcdeg=a@b.c", "prvs=4107abcdef-a@b.c",
                          "prvs=4107abcde=a@b.c"})
    EXPECT_EQ(verify(bad, keys, now, 7).status, VerifyStatus::kMalformed) << bad;
  std::string too_long = tagged.substr(0, 16) + std::string(400, 'x') + "@example.com";
  EXPECT_EQ(verify(too_long, keys, now, 7).status, VerifyStatus::kMalformed);
  std::string other_key = tagged;
  other_key[5] = '7';
  EXPECT_EQ(verify(other_key, keys, now, 7).status, VerifyStatus::kUnknownKey);
  std::string wrong_hash = tagged;
  wrong_hash[14] = wrong_hash[14] == '0' ? '1' : '0';
  EXPECT_EQ(verify(wrong_hash, keys, now, 7).status, VerifyStatus::kBadHash);
  std::string other_day = tagged;  // the day is under the hash
  other_day[8] = other_day[8] == '9' ? '8' : static_cast<char>(other_day[8] + 1);
  EXPECT_EQ(verify(other_day, keys, now, 7).status, VerifyStatus::kBadHash);
  auto past = tag_with_day("erin@example.com", keys, 4, expiry_day(now - 10 * kDay, 7));
  EXPECT_EQ(verify(past, keys, now, 7).status, VerifyStatus::kExpired);
  // Another key under the same number: the hash no longer matches.
  EXPECT_EQ(verify(tagged, ring_with(4, "a different secret for key four!"), now, 7).status,
            VerifyStatus::kBadHash);
  EXPECT_EQ(to_string(VerifyStatus::kBadHash), "bad_hash");
  EXPECT_EQ(to_string(VerifyStatus::kUnknownKey), "unknown_key");
}

TEST(BatvPrvs, NothingToTagWith) {
  KeyRing empty;
  EXPECT_EQ(tag("frank@example.com", empty, 0, 7), "frank@example.com");
  const auto keys = ring_with(6, "sixsixsixsixsixsixsixsixsixsixsi");
  EXPECT_EQ(tag("", keys, 0, 7), "");  // the null sender stays null
  auto once = tag("frank@example.com", keys, 20000 * kDay, 7);
  EXPECT_EQ(tag(once, keys, 20000 * kDay, 7), once);  // never tagged twice
}

}  // namespace
}  // namespace pw::batv
