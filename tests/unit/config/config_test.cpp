// Proves that the registry's defaults load, that bad TOML is refused with a useful error, and
// that docs/CONFIGURATION.md is the generated reference.
#include "config/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace pw::config {
namespace {

TEST(Config, DefaultsComeFromRegistry) {
  Config c = default_config();
  EXPECT_EQ(c.server.max_sessions_per_ip, 10);
  EXPECT_EQ(c.smtp.max_command_line_length, 512);
  EXPECT_EQ(c.smtp.max_recipients, 100);
  EXPECT_TRUE(c.tls.require_tls_for_auth);
  ASSERT_EQ(c.server.listen.size(), 1u);
  EXPECT_EQ(c.server.listen[0], "127.0.0.1:587");
}

TEST(Config, FileOverridesDefaults) {
  auto c = parse_config("[smtp]\nmax_recipients = 5\n[server]\nlisten = [\"127.0.0.1:2525\"]\n");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->smtp.max_recipients, 5);
  EXPECT_EQ(c->server.listen[0], "127.0.0.1:2525");
  EXPECT_EQ(c->smtp.max_errors, 10);
}

TEST(Config, RefusesUnknownKeysTypesAndBounds) {
  EXPECT_FALSE(parse_config("[smtp]\nmax_recipeints = 5\n"));
  EXPECT_FALSE(parse_config("[nosuch]\nx = 1\n"));
  EXPECT_FALSE(parse_config("[smtp]\nmax_recipients = \"5\"\n"));
  auto out_of_bounds = parse_config("[smtp]\nmax_recipients = 0\n");
  ASSERT_FALSE(out_of_bounds);
  EXPECT_NE(out_of_bounds.error().message.find("out of bounds"), std::string::npos);
  auto broken = parse_config("[smtp\n");
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message.find("config:1"), std::string::npos);
}

// Item 5 of issue 16: settings with a fixed set of values declare it in the registry.
TEST(Config, SettingsWithFixedValuesRefuseOthers) {
  auto clamd = parse_config("[clamd]\non_failure = \"ignore\"\n", "pw.toml");
  ASSERT_FALSE(clamd);
  EXPECT_EQ(clamd.error().message,
            "pw.toml: clamd.on_failure must be \"tempfail\" or \"accept\", not \"ignore\"");
  auto actions = parse_config("[rspamd]\nspam_actions = [\"reject\", \"bounce\"]\n");
  ASSERT_FALSE(actions);
  EXPECT_NE(actions.error().message.find("rspamd.spam_actions must be one of \"reject\""),
            std::string::npos)
      << actions.error().message;
  EXPECT_FALSE(parse_config("[dkim]\ncanonicalization = \"loose/relaxed\"\n"));
  EXPECT_FALSE(parse_config("[dkim]\ndefault_algorithm = \"dsa\"\n"));
  auto good = parse_config(
      "[spamd]\non_failure = \"accept\"\n[dkim]\ncanonicalization = \"simple\"\n"
      "default_algorithm = \"ed25519\"\n[rspamd]\nspam_actions = [\"add header\"]\n");
  ASSERT_TRUE(good) << good.error().message;
  EXPECT_EQ(good->dkim.canonicalization, "simple");
}

TEST(Config, DkimHeaderListsAreLowerCasedAndChecked) {
  auto c = parse_config("[dkim]\nsigned_headers = [\"From\", \"Subject\"]\n");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->dkim.signed_headers, (std::vector<std::string>{"from", "subject"}));
  EXPECT_FALSE(parse_config("[dkim]\nsigned_headers = [\"subject\"]\n"));
  EXPECT_FALSE(parse_config("[dkim]\nsigned_headers = [\"from\", \"bad name\"]\n"));
  EXPECT_FALSE(parse_config("[dkim]\noversigned_headers = [\"DKIM-Signature\"]\n"));
}

TEST(Config, ReferenceDocumentMatchesRegistry) {
  const char* source = std::getenv("PW_SOURCE_DIR");
  ASSERT_NE(source, nullptr) << "PW_SOURCE_DIR is set by ctest";
  std::ifstream in(std::string(source) + "/docs/CONFIGURATION.md");
  ASSERT_TRUE(in) << "docs/CONFIGURATION.md is missing";
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), reference_markdown())
      << "regenerate with: build/postwarden config reference > docs/CONFIGURATION.md";
}

}  // namespace
}  // namespace pw::config
