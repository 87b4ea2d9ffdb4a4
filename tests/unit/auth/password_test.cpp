// argon2id hashing and verification, the strength rule, and generated passwords.
// Hashes use libsodium's smallest cost so the suite stays fast.
#include "auth/password.hpp"

#include <gtest/gtest.h>

#include <set>

namespace pw::auth {
namespace {

// libsodium's smallest costs keep the tests fast; the format is the same at any cost.
constexpr PasswordHashCost kCheapCost{1, 8192};
constexpr size_t kMinLength = 10;

TEST(PasswordHash, IsArgon2idAndVerifies) {
  auto hash = hash_password("correct horse battery", kCheapCost);
  ASSERT_TRUE(hash) << hash.error().message;
  EXPECT_TRUE(hash->starts_with("$argon2id$v=19$m=8192,t=1,"));
  EXPECT_TRUE(verify_password(*hash, "correct horse battery"));
  EXPECT_FALSE(verify_password(*hash, "correct horse batterY"));
  EXPECT_FALSE(verify_password(*hash, ""));
}

TEST(PasswordHash, IsSaltedSoEqualPasswordsHashDifferently) {
  auto first = hash_password("correct horse battery", kCheapCost);
  auto second = hash_password("correct horse battery", kCheapCost);
  ASSERT_TRUE(first && second);
  EXPECT_NE(*first, *second);
}

TEST(PasswordHash, VerifyRefusesMalformedHashes) {
  auto hash = hash_password("correct horse battery", kCheapCost).value();
  EXPECT_FALSE(verify_password("", "correct horse battery"));
  EXPECT_FALSE(verify_password("plaintext", "plaintext"));
  EXPECT_FALSE(verify_password(hash.substr(0, hash.size() - 4), "correct horse battery"));
  EXPECT_FALSE(verify_password(hash + std::string(200, 'A'), "correct horse battery"));
  std::string with_nul = hash;
  with_nul.insert(10, 1, '\0');
  EXPECT_FALSE(verify_password(with_nul, "correct horse battery"));
}

TEST(PasswordHash, RefusesCostsOutsideLibsodiumBounds) {
  EXPECT_FALSE(hash_password("correct horse battery", {0, 8192}));
  EXPECT_FALSE(hash_password("correct horse battery", {1, 0}));
  EXPECT_FALSE(hash_password("correct horse battery", {1, UINT64_MAX / 2}));
}

TEST(PasswordStrength, AcceptsTheWeakestAllowedPassword) {
  EXPECT_TRUE(check_password_strength("abcdabcdab", "edge@example.com", kMinLength));
  EXPECT_TRUE(check_password_strength("correct horse battery", "alice@example.com", kMinLength));
}

TEST(PasswordStrength, RefusesEachWeakKindWithItsReason) {
  struct Case {
    std::string_view password;
    std::string_view reason;
  };
  for (const auto& [password, reason] :
       std::initializer_list<Case>{{"", "empty"},
                                   {"short1", "too short"},
                                   {"123456789", "too short"},
                                   {"aaaaaaaaaaaa", "single character"},
                                   {"abababababab", "fewer than 4"},
                                   {"abcabcabcabc", "fewer than 4"},
                                   {"my alice@example.com pw", "user name"},
                                   {"ALICE-is-the-best", "local part"},
                                   {"tab\tin password", "control"}}) {
    auto result = check_password_strength(password, "alice@example.com", kMinLength);
    ASSERT_FALSE(result) << password;
    EXPECT_NE(result.error().message.find(reason), std::string::npos)
        << password << ": " << result.error().message;
  }
}

TEST(PasswordStrength, CountsCharactersNotBytes) {
  // Five two-byte characters: ten bytes but only five characters.
  EXPECT_FALSE(check_password_strength("\xc3\xa4\xc3\xb6\xc3\xbc\xc3\xa9\xc3\xa8", "", kMinLength));
}

TEST(PasswordStrength, DomainUserNameMayNotAppearInItsPassword) {
  EXPECT_FALSE(check_password_strength("example.com-2024!", "example.com", kMinLength));
}

TEST(GeneratedPassword, HasTheLengthAndPassesTheStrengthRule) {
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    auto password = generate_password(20);
    ASSERT_TRUE(password);
    EXPECT_EQ(password->size(), 20u);
    EXPECT_EQ(password->find_first_of("0O1lI"), std::string::npos) << *password;
    EXPECT_TRUE(check_password_strength(*password, "alice@example.com", kMinLength));
    seen.insert(*password);
  }
  EXPECT_EQ(seen.size(), 20u);
}

}  // namespace
}  // namespace pw::auth
