// Proves dot-stuffing for DATA: every line starting with '.' gets one more, whatever the chunk
// boundaries, and the end of data is added after a final CRLF.
#include "delivery/dot_stuffer.hpp"

#include <gtest/gtest.h>

namespace pw::delivery {
namespace {

std::string stuff_in_chunks(std::string_view message, size_t chunk) {
  DotStuffer stuffer;
  std::string out;
  for (size_t i = 0; i < message.size(); i += chunk) stuffer.stuff(message.substr(i, chunk), out);
  stuffer.finish(out);
  return out;
}

TEST(DotStuffer, DoublesLeadingDotsAndEndsData) {
  EXPECT_EQ(stuff_in_chunks(".first\r\nmid.dle\r\n.\r\n..two\r\n", 1000),
            "..first\r\nmid.dle\r\n..\r\n...two\r\n.\r\n");
}

TEST(DotStuffer, GivesTheSameOutputForEveryChunkSize) {
  std::string message = ".a\r\n\r\n.\r\n.b.\r\nx\r\n..\r\n.";
  std::string whole = stuff_in_chunks(message, message.size());
  EXPECT_EQ(whole, "..a\r\n\r\n..\r\n..b.\r\nx\r\n...\r\n..\r\n.\r\n");
  for (size_t chunk = 1; chunk < message.size(); ++chunk)
    EXPECT_EQ(stuff_in_chunks(message, chunk), whole) << "chunk " << chunk;
}

TEST(DotStuffer, AddsTheMissingFinalLineEnd) {
  EXPECT_EQ(stuff_in_chunks("no line end", 4), "no line end\r\n.\r\n");
  EXPECT_EQ(stuff_in_chunks("ends in CR\r", 4), "ends in CR\r\r\n.\r\n");
  EXPECT_EQ(stuff_in_chunks("", 4), ".\r\n");
}

TEST(DotStuffer, StuffsAfterBareLineFeedsSoNoReceiverSeesAnEnd) {
  EXPECT_EQ(stuff_in_chunks("a\n.\nb\r\n", 2), "a\n..\nb\r\n.\r\n");
}

TEST(DotStuffer, IsReadyForTheNextMessageAfterFinish) {
  DotStuffer stuffer;
  std::string out;
  stuffer.stuff("one", out);
  stuffer.finish(out);
  stuffer.stuff(".two\r\n", out);
  stuffer.finish(out);
  EXPECT_EQ(out, "one\r\n.\r\n..two\r\n.\r\n");
}

}  // namespace
}  // namespace pw::delivery
