// Proves the fuzzy fingerprint (F-FUZZY): identical text gives similarity 1, the same campaign
// with another greeting, name and numbers stays above the default match threshold, unrelated
// texts stay low, short texts get no fingerprint, and the printable form round-trips and is the
// same in every run (a fixed expected value).
#include "scan/fuzzy_fingerprint.hpp"

#include <gtest/gtest.h>

#include <string>

namespace pw::scan {
namespace {

constexpr double kDefaultThreshold = 0.80;  // [fuzzy] match_threshold's default, 80 percent
constexpr std::size_t kMinShingles = 10;    // [fuzzy] min_shingles' default
// The first characters of kUnrelated's fingerprint, as the first build computed it.
constexpr std::string_view kExpectedUnrelatedPrefix = "fz1:AioBlglhDC4C6QJVBc4E";

std::string campaign(const std::string& name, const std::string& amount, const std::string& order,
                     const std::string& greeting = "Dear") {
  return greeting + " " + name +
         ",\n\nWe are pleased to inform you that your account has been selected for an exclusive "
         "reward of " +
         amount +
         " USD. To claim your reward, please confirm your details within the next 48 hours by "
         "following the secure link below. Your reference number is " +
         order + ".\n\nhttps://claims.example.net/confirm?user=" + order +
         "&token=9f8e7d6c5b4a\n\nIf you do not confirm in time the reward will be transferred to "
         "the next customer on our list. We thank you for being a loyal member of our community "
         "and look forward to serving you again soon.\n\nKind regards,\nThe Rewards Team\n";
}

constexpr std::string_view kUnrelated =
    "Hi team, the quarterly planning meeting moves to Thursday afternoon because the main "
    "conference room is being repainted. Please bring your project updates, the draft budget for "
    "the next release and any open questions about the migration of the build servers. Lunch "
    "will be provided, so let me know about dietary restrictions before Wednesday evening.";

constexpr std::string_view kUnrelated2 =
    "The garden club will hold its autumn plant swap at the community hall on Saturday morning. "
    "Bring cuttings, seeds or bulbs you no longer need, labelled with the plant name if you know "
    "it. Volunteers are needed to set up tables at eight and to help tidy the hall afterwards; "
    "coffee and cake will be served to everyone who lends a hand.";

TEST(FuzzyFingerprintTest, IdenticalTextIsSimilarityOne) {
  auto a = fuzzy_fingerprint(campaign("John Smith", "1,250", "AB-77812"), kMinShingles);
  auto b = fuzzy_fingerprint(campaign("John Smith", "1,250", "AB-77812"), kMinShingles);
  ASSERT_TRUE(a && b);
  EXPECT_DOUBLE_EQ(similarity(*a, *b), 1.0);
}

TEST(FuzzyFingerprintTest, ChangedGreetingNameAndNumbersStayAboveTheThreshold) {
  auto a = fuzzy_fingerprint(campaign("John Smith", "1,250", "AB-77812"), kMinShingles);
  auto b = fuzzy_fingerprint(campaign("Maria Lopez", "980", "XK-10293", "Hello"), kMinShingles);
  ASSERT_TRUE(a && b);
  EXPECT_GE(similarity(*a, *b), kDefaultThreshold);
  // Digits, query strings and tokens vanish in the normaliser: numbers alone change nothing.
  auto c = fuzzy_fingerprint(campaign("John Smith", "7,000", "QQ-00001"), kMinShingles);
  ASSERT_TRUE(c);
  EXPECT_DOUBLE_EQ(similarity(*a, *c), 1.0);
}

TEST(FuzzyFingerprintTest, UnrelatedTextsAreLow) {
  auto a = fuzzy_fingerprint(campaign("John Smith", "1,250", "AB-77812"), kMinShingles);
  auto b = fuzzy_fingerprint(kUnrelated, kMinShingles);
  auto c = fuzzy_fingerprint(kUnrelated2, kMinShingles);
  ASSERT_TRUE(a && b && c);
  EXPECT_LT(similarity(*a, *b), 0.2);
  EXPECT_LT(similarity(*b, *c), 0.2);
}

TEST(FuzzyFingerprintTest, ShortTextsGetNoFingerprint) {
  EXPECT_FALSE(fuzzy_fingerprint("Thanks, see you tomorrow at 10.", kMinShingles));
  EXPECT_FALSE(fuzzy_fingerprint("", kMinShingles));
  EXPECT_FALSE(fuzzy_fingerprint("one two three", 1));
  EXPECT_TRUE(fuzzy_fingerprint("one two three four", 1));
  // Repeating a short text does not make it long: shingles are counted once.
  std::string repeated;
  for (int i = 0; i < 50; ++i) repeated += "buy now buy now ";
  EXPECT_FALSE(fuzzy_fingerprint(repeated, kMinShingles));
}

TEST(FuzzyFingerprintTest, NormaliserLowersCutsQueriesAndDropsIdsDigitsAndPunctuation) {
  EXPECT_EQ(normalise_words("Hello, WORLD!  Order #12345 ships on 3rd"),
            (std::vector<std::string>{"hello", "world", "order", "ships", "on", "rd"}));
  EXPECT_EQ(normalise_words("see https://Example.com/Path/x?id=abc#frag now"),
            (std::vector<std::string>{"see", "https", "example", "com", "path", "x", "now"}));
  EXPECT_EQ(normalise_words("id 550e8400-e29b-41d4-a716-446655440000 and deadbeef99 end"),
            (std::vector<std::string>{"id", "and", "end"}));
  // Unicode: lower-cased by GLib; typographic quotes and dashes separate words.
  EXPECT_EQ(normalise_words("\xC3\x9C"
                            "BER \xE2\x80\x9C"
                            "Caf\xC3\x89\xE2\x80\x9D\xE2\x80\x94ok"),
            (std::vector<std::string>{"\xC3\xBC"
                                      "ber",
                                      "caf\xC3\xA9", "ok"}));
  // Invalid UTF-8 becomes a separator, never a crash.
  EXPECT_EQ(normalise_words("ab\xFF\xFE"
                            "cd"),
            (std::vector<std::string>{"ab", "cd"}));
}

// ASCII text is lower-cased without GLib (issue 17); one non-ASCII word at the end sends the same
// text through GLib, and the words must not change. Every byte from 1 to 127 is in the text, and
// NUL (which GLib makes a separator) too.
TEST(FuzzyFingerprintTest, AsciiTextGivesTheSameWordsWithoutGlib) {
  std::string every_byte;
  for (int c = 1; c < 0x80; ++c) {
    every_byte += static_cast<char>(c);
    if (c % 7 == 0) every_byte += "Word ";
  }
  const std::vector<std::string> texts = {"Hello, WORLD!  Order #12345 ships on 3rd", every_byte,
                                          std::string("nul\0BETWEEN words", 17),
                                          "MiXeD\tCase\x7F del\x01"
                                          "ctl"};
  for (const auto& text : texts) {
    auto through_glib = normalise_words(text + " \xC3\x89t\xC3\xA9");
    ASSERT_FALSE(through_glib.empty());
    EXPECT_EQ(through_glib.back(), "\xC3\xA9t\xC3\xA9");
    through_glib.pop_back();
    EXPECT_EQ(normalise_words(text), through_glib) << text;
  }
}

TEST(FuzzyFingerprintTest, PrintableFormRoundTripsAndIsTheSameInEveryRun) {
  auto a = fuzzy_fingerprint(campaign("John Smith", "1,250", "AB-77812"), kMinShingles);
  ASSERT_TRUE(a);
  const std::string text = a->to_string();
  EXPECT_TRUE(text.starts_with(kFuzzyPrefix));
  EXPECT_EQ(text.size(), kFuzzyPrefix.size() + 171);
  auto parsed = FuzzyFingerprint::parse(text);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(*parsed, *a);
  // Fixed seeds: this value may only change with a new format prefix.
  auto b = fuzzy_fingerprint(kUnrelated, kMinShingles);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->to_string().substr(0, 24), kExpectedUnrelatedPrefix);
}

TEST(FuzzyFingerprintTest, ParseRefusesMalformedValuesWithOneLine) {
  auto good = fuzzy_fingerprint(kUnrelated, kMinShingles)->to_string();
  for (const std::string& bad :
       {std::string("fz2:") + good.substr(4), good.substr(0, good.size() - 1), good + "A",
        good.substr(0, 10) + "!" + good.substr(11), std::string("")}) {
    auto parsed = FuzzyFingerprint::parse(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().message.find('\n'), std::string::npos);
  }
}

TEST(FuzzyFingerprintTest, NearDuplicatesShareAnLshBand) {
  auto a = fuzzy_fingerprint(campaign("John Smith", "1,250", "AB-77812"), kMinShingles);
  auto b = fuzzy_fingerprint(campaign("Maria Lopez", "980", "XK-10293", "Hello"), kMinShingles);
  auto c = fuzzy_fingerprint(kUnrelated, kMinShingles);
  ASSERT_TRUE(a && b && c);
  auto shared = [](const FuzzyFingerprint& x, const FuzzyFingerprint& y) {
    std::size_t n = 0;
    auto bx = x.bands(), by = y.bands();
    for (std::size_t i = 0; i < kFuzzyBands; ++i) n += bx[i] == by[i];
    return n;
  };
  EXPECT_GE(shared(*a, *b), 1u);
  EXPECT_EQ(shared(*a, *c), 0u);
}

}  // namespace
}  // namespace pw::scan
