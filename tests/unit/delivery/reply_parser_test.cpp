// Proves how the delivery client reads server replies: continuation lines, one code per reply,
// enhanced codes only when announced, and server text made printable.
#include "delivery/reply_parser.hpp"

#include <gtest/gtest.h>

namespace pw::delivery {
namespace {

using Status = ReplyParser::Status;

TEST(ReplyParser, JoinsContinuationLinesUntilTheLastLine) {
  ReplyParser parser;
  EXPECT_EQ(parser.feed("250-peer.test greets you"), Status::kNeedMore);
  EXPECT_EQ(parser.feed("250-PIPELINING"), Status::kNeedMore);
  EXPECT_EQ(parser.feed("250 SIZE 1000"), Status::kDone);
  EXPECT_EQ(parser.reply().code, 250);
  EXPECT_EQ(parser.reply().text, "peer.test greets you PIPELINING SIZE 1000");
  EXPECT_EQ(parser.lines(),
            (std::vector<std::string>{"peer.test greets you", "PIPELINING", "SIZE 1000"}));
}

TEST(ReplyParser, AcceptsABareCodeAsTheLastLine) {
  ReplyParser parser;
  EXPECT_EQ(parser.feed("250"), Status::kDone);
  EXPECT_EQ(parser.reply().code, 250);
  EXPECT_EQ(parser.reply().text, "");
}

TEST(ReplyParser, RefusesACodeThatChangesWithinAReply) {
  ReplyParser parser;
  EXPECT_EQ(parser.feed("250-first"), Status::kNeedMore);
  EXPECT_EQ(parser.feed("550 second"), Status::kError);
  EXPECT_NE(parser.error().find("changed"), std::string::npos);
}

TEST(ReplyParser, RefusesMalformedLines) {
  for (const char* line : {"", "25", "abc text", "250xtext", "650 no such class", "190 x", "2a0 x",
                           "260 second digit above 5"}) {
    ReplyParser parser;
    EXPECT_EQ(parser.feed(line), Status::kError) << line;
  }
}

TEST(ReplyParser, ExtractsEnhancedCodesOnlyWhenAnnounced) {
  ReplyParser plain(false);
  EXPECT_EQ(plain.feed("550 5.1.1 User unknown"), Status::kDone);
  EXPECT_EQ(plain.reply().enhanced, "");
  EXPECT_EQ(plain.reply().text, "5.1.1 User unknown");

  ReplyParser enhanced(true);
  EXPECT_EQ(enhanced.feed("550-5.1.1 User unknown"), Status::kNeedMore);
  EXPECT_EQ(enhanced.feed("550 5.1.1 try another"), Status::kDone);
  EXPECT_EQ(enhanced.reply().enhanced, "5.1.1");
  EXPECT_EQ(enhanced.reply().text, "User unknown try another");
  EXPECT_EQ(enhanced.reply().str(), "550 5.1.1 User unknown try another");
}

TEST(ReplyParser, IgnoresEnhancedCodesOfTheWrongClassOrShape) {
  ReplyParser parser(true);
  EXPECT_EQ(parser.feed("550 4.1.1 class differs"), Status::kDone);
  EXPECT_EQ(parser.reply().enhanced, "");
  EXPECT_EQ(parser.feed("250 2.1.5000 too many digits"), Status::kDone);
  EXPECT_EQ(parser.reply().enhanced, "");
  EXPECT_EQ(parser.feed("250 2.0.0"), Status::kDone);
  EXPECT_EQ(parser.reply().enhanced, "2.0.0");
  EXPECT_EQ(parser.reply().text, "");
}

TEST(ReplyParser, MakesServerTextPrintable) {
  ReplyParser parser;
  EXPECT_EQ(parser.feed("550 bad\x1b[31m\ttext\xc3\xa9"), Status::kDone);
  EXPECT_EQ(parser.reply().text, "bad?[31m text??");
}

TEST(ReplyParser, StartsANewReplyAfterTheLastOne) {
  ReplyParser parser;
  EXPECT_EQ(parser.feed("250 first"), Status::kDone);
  EXPECT_EQ(parser.feed("451 second"), Status::kDone);
  EXPECT_EQ(parser.reply().code, 451);
  EXPECT_EQ(parser.reply().text, "second");
  EXPECT_TRUE(parser.reply().transient());
  EXPECT_FALSE(parser.reply().permanent());
}

}  // namespace
}  // namespace pw::delivery
