// Look-ups in the sender snapshot: longest prefix wins for IPs, AUTH names find the right kind,
// and the snapshot loads what the repositories stored.
#include "auth/sender_directory.hpp"

#include <gtest/gtest.h>

#include "../store/temp_dir.hpp"
#include "store/database.hpp"
#include "store/domain_repository.hpp"
#include "store/user_repository.hpp"

namespace pw::auth {
namespace {

mail::Sender sender(int64_t id, mail::SenderKind kind, std::string name, std::string domain) {
  return mail::Sender{id, kind, std::move(name), std::move(domain)};
}

void add_range(SenderDirectory& directory, int64_t id, std::string_view cidr,
               std::string_view domain) {
  auto range = util::Cidr::parse(cidr).value();
  directory.add_ip(range, sender(id, mail::SenderKind::kIp, range.str(), std::string(domain)));
}

util::IpAddress ip(std::string_view text) { return util::IpAddress::parse(text).value(); }

TEST(SenderDirectory, LongestPrefixWins) {
  SenderDirectory directory;
  add_range(directory, 1, "10.0.0.0/8", "example.com");
  add_range(directory, 2, "10.1.2.0/24", "example.com");
  add_range(directory, 3, "10.1.0.0/16", "example.com");
  add_range(directory, 4, "10.1.2.3/32", "example.com");
  EXPECT_EQ(directory.match_ip(ip("10.1.2.3"))->user_id, 4);
  EXPECT_EQ(directory.match_ip(ip("10.1.2.4"))->user_id, 2);
  EXPECT_EQ(directory.match_ip(ip("10.1.9.9"))->user_id, 3);
  EXPECT_EQ(directory.match_ip(ip("10.200.0.1"))->user_id, 1);
  EXPECT_FALSE(directory.match_ip(ip("11.0.0.1")));
}

TEST(SenderDirectory, MatchesIpv6RangesAndKeepsFamiliesApart) {
  SenderDirectory directory;
  add_range(directory, 1, "2001:db8::/32", "example.com");
  add_range(directory, 2, "2001:db8:1::/48", "example.org");
  add_range(directory, 3, "::/0", "example.net");
  EXPECT_EQ(directory.match_ip(ip("2001:db8:1::25"))->domain, "example.org");
  EXPECT_EQ(directory.match_ip(ip("2001:db8:2::25"))->domain, "example.com");
  EXPECT_EQ(directory.match_ip(ip("2001:dead::1"))->user_id, 3);
  EXPECT_FALSE(directory.match_ip(ip("192.0.2.1")));
}

TEST(SenderDirectory, MatchesMappedClientAddressesAsIpv4) {
  SenderDirectory directory;
  add_range(directory, 1, "192.0.2.0/24", "example.com");
  EXPECT_EQ(directory.match_ip(ip("::ffff:192.0.2.77"))->user_id, 1);
}

TEST(SenderDirectory, FindsUserLoginsByFullAddressIgnoringCase) {
  SenderDirectory directory;
  directory.add_login(
      {sender(7, mail::SenderKind::kUser, "alice@example.com", "example.com"), "hash-a"});
  directory.add_login(
      {sender(8, mail::SenderKind::kDomain, "example.com", "example.com"), "hash-d"});
  auto login = directory.find_login("Alice@Example.COM");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->sender.user_id, 7);
  EXPECT_EQ(login->password_hash, "hash-a");
  EXPECT_FALSE(directory.find_login("alice"));
  EXPECT_FALSE(directory.find_login("bob@example.com"));
  EXPECT_FALSE(directory.find_login(""));
}

TEST(SenderDirectory, FindsDomainLoginsByBareDomainName) {
  SenderDirectory directory;
  directory.add_login(
      {sender(7, mail::SenderKind::kUser, "alice@example.com", "example.com"), "hash-a"});
  directory.add_login(
      {sender(8, mail::SenderKind::kDomain, "example.com", "example.com"), "hash-d"});
  auto login = directory.find_login("EXAMPLE.com");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->sender.kind, mail::SenderKind::kDomain);
  EXPECT_EQ(login->password_hash, "hash-d");
  EXPECT_FALSE(directory.find_login("example.org"));
  EXPECT_FALSE(directory.find_login("@example.com"));
  EXPECT_EQ(directory.size(), 2u);
}

TEST(SenderDirectory, LoadsEverySenderFromTheDatabase) {
  test::TempDir dir;
  auto db = store::Database::open(dir.file("postwarden.db")).value();
  store::DomainRepository domains(db);
  store::UserRepository users(db);
  ASSERT_TRUE(domains.add("example.com"));
  ASSERT_TRUE(domains.add("example.org"));
  ASSERT_TRUE(users.add_ip("192.0.2.0/24", "example.com"));
  ASSERT_TRUE(users.add_ip("2001:db8::/32", "example.org"));
  ASSERT_TRUE(users.add_user("Alice@Example.com", "$argon2id$alice"));
  ASSERT_TRUE(users.add_domain("example.org", "$argon2id$org"));

  auto directory = load_sender_directory(db);
  ASSERT_TRUE(directory) << directory.error().message;
  EXPECT_EQ((*directory)->size(), 4u);
  auto by_ip = (*directory)->match_ip(ip("192.0.2.9"));
  ASSERT_TRUE(by_ip);
  EXPECT_EQ(by_ip->name, "192.0.2.0/24");
  EXPECT_EQ(by_ip->domain, "example.com");
  EXPECT_EQ((*directory)->match_ip(ip("2001:db8::1"))->domain, "example.org");
  auto alice = (*directory)->find_login("ALICE@example.com");
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->sender.name, "alice@example.com");
  EXPECT_EQ(alice->password_hash, "$argon2id$alice");
  auto org = (*directory)->find_login("example.org");
  ASSERT_TRUE(org);
  EXPECT_EQ(org->sender.kind, mail::SenderKind::kDomain);
  EXPECT_FALSE((*directory)->find_login("example.com"));
}

}  // namespace
}  // namespace pw::auth
