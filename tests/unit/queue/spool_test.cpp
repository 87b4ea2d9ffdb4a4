// Proves that the spool writes a parseable envelope and the exact bytes, and cleans tmp/.
#include "queue/spool.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "queue/spool_reader.hpp"

namespace pw::queue {
namespace {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char pattern[] = "/tmp/pw-spool-XXXXXX";
    path = mkdtemp(pattern);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

TEST(Spool, StoresEnvelopeAndExactBytes) {
  TempDir dir;
  auto spool = Spool::open(dir.path);
  ASSERT_TRUE(spool) << spool.error().message;
  Envelope e;
  e.id = spool->new_id();
  e.client_ip = "127.0.0.1";
  e.mail_from = "a@example.com";
  e.rcpt_to = {"b@example.org", "c@example.org"};
  e.auth_user = "a@example.com";
  e.sender_kind = mail::Origin::kUser;
  ASSERT_TRUE(spool->store(e, {"Received: x\r\n", "Subject: hi\r\n\r\nbody\r\n"}));
  std::ifstream in(dir.path / "incoming" / e.id, std::ios::binary);
  ASSERT_TRUE(in);
  std::string first_line;
  std::getline(in, first_line);
  auto parsed = Envelope::from_json_line(first_line);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->rcpt_to.size(), 2u);
  EXPECT_EQ(parsed->auth_user, "a@example.com");
  std::stringstream rest;
  rest << in.rdbuf();
  EXPECT_EQ(rest.str(), "Received: x\r\nSubject: hi\r\n\r\nbody\r\n");
  EXPECT_TRUE(std::filesystem::is_empty(dir.path / "tmp"));
}

// Issue 17 item 4: a body in an unnamed file is copied into the spool file after the parts, and
// delivery reads a large spooled message from its file, a small one whole.
TEST(Spool, CopiesABodyFromAFileAndReadsItBackForDelivery) {
  TempDir dir;
  auto spool = Spool::open(dir.path);
  ASSERT_TRUE(spool) << spool.error().message;
  auto unnamed = spool->open_unnamed();
  ASSERT_TRUE(unnamed) << unnamed.error().message;
  std::string body;
  while (body.size() < 300000) body += "a line of the body\r\n";
  ASSERT_EQ(::write(unnamed->get(), body.data(), body.size()), static_cast<ssize_t>(body.size()));
  Envelope e;
  e.id = spool->new_id();
  e.rcpt_to = {"b@example.org"};
  const std::string head = "Received: x\r\nSubject: big\r\n\r\n";
  ASSERT_TRUE(spool->store(e, {head}, {unnamed->get(), 0, body.size()}));
  const auto path = dir.path / "incoming" / e.id;

  auto large = open_spooled_message(path, 65536);
  ASSERT_TRUE(large) << large.error().message;
  ASSERT_TRUE(large->in_file());
  EXPECT_EQ(large->range.length, head.size() + body.size());
  EXPECT_TRUE(large->ends_with_crlf);
  auto start = message_start(*large, 65536);
  ASSERT_TRUE(start);
  EXPECT_EQ(start->size(), 65536u);
  EXPECT_TRUE(start->starts_with(head));
  std::string read_back;
  ASSERT_TRUE(util::read_range(large->range, 4096, [&](std::string_view piece) {
    read_back.append(piece);
    return true;
  }));
  EXPECT_EQ(read_back, head + body);

  auto small = open_spooled_message(path, 1 << 20);
  ASSERT_TRUE(small) << small.error().message;
  EXPECT_FALSE(small->in_file());
  EXPECT_EQ(small->message, head + body);
}

TEST(Spool, IdsAreUniqueAndOrdered) {
  TempDir dir;
  auto spool = Spool::open(dir.path);
  ASSERT_TRUE(spool);
  std::string previous;
  for (int i = 0; i < 1000; ++i) {
    auto id = spool->new_id();
    EXPECT_NE(id, previous);
    previous = id;
  }
}

TEST(Spool, OpenRemovesPartialWrites) {
  TempDir dir;
  std::filesystem::create_directories(dir.path / "tmp");
  std::ofstream(dir.path / "tmp" / "partial") << "half a message";
  auto spool = Spool::open(dir.path);
  ASSERT_TRUE(spool);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path / "tmp"));
}

}  // namespace
}  // namespace pw::queue
