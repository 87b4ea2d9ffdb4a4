// Proves that the spool writes a parseable envelope and the exact bytes, and cleans tmp/.
#include "queue/spool.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

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
