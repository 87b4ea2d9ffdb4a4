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
