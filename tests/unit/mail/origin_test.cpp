// An envelope's origin and body type are enums with one text form each; a spool line with an
// unknown one is refused rather than guessed (issue 16: enums in place of "dsn", "8BITMIME").
#include "mail/origin.hpp"

#include <gtest/gtest.h>

#include <string>

#include "mail/envelope.hpp"

namespace pw::mail {
namespace {

TEST(Origin, EveryValueHasOneTextFormAndBack) {
  for (Origin o : {Origin::kIp, Origin::kUser, Origin::kDomain, Origin::kDsn, Origin::kInbound,
                   Origin::kArf, Origin::kLock})
    EXPECT_EQ(parse_origin(to_string(o)), o) << to_string(o);
  EXPECT_EQ(to_string(Origin::kDsn), "dsn");
  EXPECT_FALSE(parse_origin("DSN"));
  EXPECT_FALSE(parse_origin(""));
  EXPECT_TRUE(from_user(origin_of(SenderKind::kDomain)));
  EXPECT_FALSE(from_user(Origin::kDsn));
  EXPECT_FALSE(from_user(Origin::kInbound));
  EXPECT_EQ(parse_body_type(to_string(BodyType::k8BitMime)), BodyType::k8BitMime);
  EXPECT_EQ(to_string(BodyType::k7Bit), "7BIT");
  EXPECT_FALSE(parse_body_type("BINARYMIME"));
}

TEST(Origin, TheEnvelopeLineKeepsThemAndRefusesUnknownOnes) {
  Envelope e;
  e.id = "X1";
  e.sender_kind = Origin::kDsn;
  e.body = BodyType::k8BitMime;
  const std::string line = e.to_json_line();
  EXPECT_NE(line.find(R"("sender_kind":"dsn")"), std::string::npos) << line;
  EXPECT_NE(line.find(R"("body":"8BITMIME")"), std::string::npos) << line;
  auto back = Envelope::from_json_line(line);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->sender_kind, Origin::kDsn);
  EXPECT_EQ(back->body, BodyType::k8BitMime);

  std::string odd = line;
  odd.replace(odd.find("\"dsn\""), 5, "\"bot\"");
  EXPECT_FALSE(Envelope::from_json_line(odd));
  odd = line;
  odd.replace(odd.find("\"8BITMIME\""), 10, "\"BINARY\"");
  EXPECT_FALSE(Envelope::from_json_line(odd));
}

}  // namespace
}  // namespace pw::mail
