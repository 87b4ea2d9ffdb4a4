// Request targets, percent-decoding, route matching, Cookie headers and the constant-time compare
// the HTTP server relies on (F-PANEL).
#include "http/request_target.hpp"

#include <gtest/gtest.h>

#include "api/route_table.hpp"

namespace pw::http {
namespace {

TEST(HttpRequestTarget, SplitsPathAndDecodesQuery) {
  auto t = parse_request_target("/api/v1/users/10.0.0.0%2F24?q=a+b&domain=ex%41mple.com&x=1&x=2");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->raw_path, "/api/v1/users/10.0.0.0%2F24");
  EXPECT_EQ(t->path, "/api/v1/users/10.0.0.0/24");
  EXPECT_EQ(t->query.at("q"), "a b");
  EXPECT_EQ(t->query.at("domain"), "exAmple.com");
  EXPECT_EQ(t->query.at("x"), "2");  // the last one wins
}

TEST(HttpRequestTarget, RefusesMalformedTargets) {
  EXPECT_FALSE(parse_request_target(""));
  EXPECT_FALSE(parse_request_target("api/v1"));
  EXPECT_FALSE(parse_request_target("http://example.com/"));
  EXPECT_FALSE(parse_request_target("/a%2"));
  EXPECT_FALSE(parse_request_target("/a%zz"));
  EXPECT_FALSE(parse_request_target("/a%00b"));
  EXPECT_FALSE(parse_request_target("/a?x=%00"));
  EXPECT_FALSE(parse_request_target("/a b"));
  EXPECT_FALSE(parse_request_target("/a\r\nX: y"));
  EXPECT_FALSE(parse_request_target("/a#frag"));
}

TEST(HttpRequestTarget, KeepsEmptyAndValuelessQueryParameters) {
  auto t = parse_request_target("/x?a=&b&&=c");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->query.size(), 2u);
  EXPECT_EQ(t->query.at("a"), "");
  EXPECT_EQ(t->query.at("b"), "");
}

TEST(HttpRouteTable, MatchesPatternsWithOneDecodedSegmentPerParameter) {
  api::RouteTable table;
  table.add({Method::kGet, "/api/v1/users/{name}", api::Access::kLoggedIn, nullptr, {}});
  table.add({Method::kDelete, "/api/v1/users/{name}", api::Access::kLoggedIn, nullptr, {}});
  table.add({Method::kPost, "/api/v1/users/{name}/lock", api::Access::kLoggedIn, nullptr, {}});
  auto m = table.match(Method::kGet, "/api/v1/users/10.0.0.0%2F24");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->path_params.at("name"), "10.0.0.0/24");
  EXPECT_EQ(table.match(Method::kDelete, "/api/v1/users/a%40b.c")->route->method, Method::kDelete);
  bool mismatch = false;
  EXPECT_FALSE(table.match(Method::kPut, "/api/v1/users/x", &mismatch));
  EXPECT_TRUE(mismatch);
  EXPECT_FALSE(table.match(Method::kGet, "/api/v1/users", &mismatch));
  EXPECT_FALSE(mismatch);
  EXPECT_FALSE(table.match(Method::kGet, "/api/v1/users/"));      // empty parameter
  EXPECT_FALSE(table.match(Method::kGet, "/api/v1/users/a%zz"));  // bad escape
  EXPECT_TRUE(table.match(Method::kPost, "/api/v1/users/x/lock"));
}

TEST(HttpCookie, FindsTheNamedCookie) {
  EXPECT_EQ(cookie_value("a=1; pw_session=abc; b=2", "pw_session"), "abc");
  EXPECT_EQ(cookie_value("pw_session=\"quoted\"", "pw_session"), "quoted");
  EXPECT_EQ(cookie_value("  pw_session = x ;", "pw_session"), "x");
  EXPECT_EQ(cookie_value("pw_session=first; pw_session=second", "pw_session"), "first");
  EXPECT_FALSE(cookie_value("xpw_session=1; pw_sessionx=2", "pw_session"));
  EXPECT_FALSE(cookie_value("", "pw_session"));
  EXPECT_FALSE(cookie_value("pw_session", "pw_session"));
  EXPECT_EQ(cookie_value("pw_session=", "pw_session"), "");
}

TEST(HttpCompare, ConstantTimeEqualComparesWholeStrings) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
  EXPECT_FALSE(constant_time_equal("", "a"));
  EXPECT_TRUE(constant_time_equal("", ""));
}

}  // namespace
}  // namespace pw::http
