// F-IDENT: the header rules syntax, the identity of a message under each method, and header
// removal that keeps every other byte. Trust: the messages here play hostile clients.
#include "policy/identity_method.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace pw::policy {
namespace {

IdentityMethod header_method(std::string_view rules) {
  auto method = make_identity_method("header", rules);
  EXPECT_TRUE(method) << method.error().message;
  return method ? *method : IdentityMethod{};
}

IdentityResult identify_by_headers(std::string_view rules, std::string_view message) {
  return extract_identity(header_method(rules), IdentityInput{.message = message});
}

std::string refusal(std::string_view rules) {
  auto parsed = parse_header_rules(rules);
  EXPECT_FALSE(parsed) << "accepted: " << rules;
  return parsed ? "" : parsed.error().message;
}

TEST(IdentityRules, AcceptsNamesObjectsAndEmptyText) {
  auto rules = parse_header_rules(
      R"j(["X-Client-ID", {"header":"X-Mailer-User","regex":"^user=(\\w+)","remove":true},
          {"header":"X-Id","regex":null,"remove":false}])j");
  ASSERT_TRUE(rules) << rules.error().message;
  ASSERT_EQ(rules->size(), 3u);
  EXPECT_EQ((*rules)[0].header, "X-Client-ID");
  EXPECT_FALSE((*rules)[0].regex);
  EXPECT_FALSE((*rules)[0].remove);
  EXPECT_EQ((*rules)[1].regex, "^user=(\\w+)");
  EXPECT_TRUE((*rules)[1].remove);
  EXPECT_TRUE((*rules)[1].compiled);
  EXPECT_FALSE((*rules)[2].regex);
  EXPECT_TRUE(parse_header_rules("")->empty());
  EXPECT_TRUE(parse_header_rules("  ")->empty());
  EXPECT_TRUE(parse_header_rules("[]")->empty());
}

TEST(IdentityRules, AcceptsRegexWithColonsSemicolonsAndQuotes) {
  auto rules = parse_header_rules(R"j([{"header":"X-A","regex":"a:b;c,\"d\" id=([^;:]+)"}])j");
  ASSERT_TRUE(rules) << rules.error().message;
  EXPECT_EQ((*rules)[0].regex, "a:b;c,\"d\" id=([^;:]+)");
}

TEST(IdentityRules, RefusesBadRegexAndWrongGroupCounts) {
  EXPECT_NE(refusal(R"j([{"header":"X-A","regex":"(unclosed"}])j").find("does not compile"),
            std::string::npos);
  EXPECT_NE(refusal(R"j([{"header":"X-A","regex":"no group"}])j").find("exactly one capturing"),
            std::string::npos);
  EXPECT_NE(refusal(R"j([{"header":"X-A","regex":"(a)(b)"}])j").find("it has 2"),
            std::string::npos);
  EXPECT_NE(refusal(R"j([{"header":"X-A","regex":""}])j").find("empty"), std::string::npos);
  // Backreferences need backtracking; RE2 refuses them, so a rule can never run in more than
  // linear time.
  EXPECT_NE(refusal(R"j([{"header":"X-A","regex":"(a)\\1"}])j").find("does not compile"),
            std::string::npos);
  EXPECT_TRUE(parse_header_rules(R"j([{"header":"X-A","regex":"(?:x|y)=(\\d+)"}])j"));
  std::string long_regex = "(" + std::string(kMaxRegexLength, 'a') + ")";
  EXPECT_NE(refusal(R"j([{"header":"X-A","regex":")j" + long_regex + "\"}]").find("longer than"),
            std::string::npos);
}

TEST(IdentityRules, RefusesBadHeaderNames) {
  EXPECT_NE(refusal(R"j(["X Client"])j").find("header name"), std::string::npos);
  EXPECT_NE(refusal(R"j(["X-Client:"])j").find("header name"), std::string::npos);
  EXPECT_NE(refusal(R"j([""])j").find("empty"), std::string::npos);
  EXPECT_NE(refusal(R"j(["X-Cli\u00e9nt"])j").find("header name"), std::string::npos);
  EXPECT_NE(refusal("[\"" + std::string(kMaxHeaderNameLength + 1, 'X') + "\"]").find("longer"),
            std::string::npos);
}

TEST(IdentityRules, RefusesMalformedText) {
  EXPECT_NE(refusal("X-Client-ID; X-Other").find("JSON array"), std::string::npos);
  EXPECT_NE(refusal(R"j({"header":"X-A"})j").find("JSON array"), std::string::npos);
  EXPECT_NE(refusal(R"j([{"regex":"(a)"}])j").find("no \"header\""), std::string::npos);
  EXPECT_NE(refusal(R"j([{"header":"X-A","remove":"yes"}])j").find("true or false"),
            std::string::npos);
  EXPECT_NE(refusal(R"j([{"header":"X-A","colour":"red"}])j").find("unknown key"),
            std::string::npos);
  EXPECT_NE(refusal(R"j([42])j").find("rule 1"), std::string::npos);
  EXPECT_NE(refusal(R"j(["X-A", "X B"])j").find("rule 2"), std::string::npos);
}

TEST(IdentityRules, RefusesTooManyRulesAndTooLongText) {
  std::string text = "[";
  for (size_t i = 0; i <= kMaxHeaderRules; ++i)
    text += (i ? ",\"X-H" : "\"X-H") + std::to_string(i) + "\"";
  text += "]";
  EXPECT_NE(refusal(text).find("at most"), std::string::npos);
  EXPECT_NE(refusal("[\"" + std::string(kMaxHeaderRulesText, 'X') + "\"]").find("longer"),
            std::string::npos);
}

TEST(IdentityRules, ErrorsAreOneLine) {
  for (const char* text : {"[\"a\nb\"]", "[{\"header\":\"X\",\"regex\":\"(\\n\"}]", "\n[\n"}) {
    auto parsed = parse_header_rules(text);
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().message.find('\n'), std::string::npos) << parsed.error().message;
  }
}

TEST(IdentityRules, PrinterRoundTrips) {
  auto rules = parse_header_rules(
      R"j([ "X-Client-ID", {"remove":true, "regex":"a:b;\"c\" (\\d+)\t", "header":"X-B"},
          {"header":"X-C","remove":false} ])j");
  ASSERT_TRUE(rules) << rules.error().message;
  std::string printed = format_header_rules(*rules);
  EXPECT_EQ(
      printed,
      R"j([{"header":"X-Client-ID"},{"header":"X-B","regex":"a:b;\"c\" (\\d+)\t","remove":true},{"header":"X-C"}])j");
  auto again = parse_header_rules(printed);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*again, *rules);
  EXPECT_EQ(format_header_rules(*again), printed);
  EXPECT_EQ(format_header_rules({}), "[]");
}

TEST(IdentityMethodSetting, ParsesKindsAndNeedsRulesForHeader) {
  EXPECT_EQ(*parse_identity_kind("none"), IdentityKind::kNone);
  EXPECT_EQ(*parse_identity_kind("AUTH_USER"), IdentityKind::kAuthUser);
  EXPECT_EQ(*parse_identity_kind("envelope_sender"), IdentityKind::kEnvelopeSender);
  EXPECT_EQ(*parse_identity_kind("header"), IdentityKind::kHeader);
  for (auto kind : {IdentityKind::kNone, IdentityKind::kAuthUser, IdentityKind::kEnvelopeSender,
                    IdentityKind::kHeader}) {
    EXPECT_EQ(*parse_identity_kind(to_string(kind)), kind);
  }
  EXPECT_FALSE(parse_identity_kind("sender"));
  EXPECT_FALSE(make_identity_method("header", ""));
  EXPECT_FALSE(make_identity_method("header", "[]"));
  EXPECT_FALSE(make_identity_method("auth_user", "[\"bad name\"]"));
  auto kept = make_identity_method("auth_user", "[\"X-Client-ID\"]");
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->rules.size(), 1u);
}

TEST(IdentityExtraction, MethodNoneFallsBack) {
  auto result = extract_identity(IdentityMethod{}, IdentityInput{.auth_user = "a@example.com"});
  EXPECT_FALSE(result.usable);
  EXPECT_EQ(result.identity, "");
  EXPECT_NE(result.fallback_reason.find("none"), std::string::npos);
}

TEST(IdentityExtraction, AuthUserThenIpUser) {
  IdentityMethod method{IdentityKind::kAuthUser, {}};
  auto by_auth =
      extract_identity(method, IdentityInput{.auth_user = "Alice@Example.com", .ip_user = "ip"});
  EXPECT_TRUE(by_auth.usable);
  EXPECT_EQ(by_auth.identity, "Alice@Example.com");
  EXPECT_EQ(by_auth.source, "auth user");
  auto by_ip = extract_identity(method, IdentityInput{.ip_user = "192.0.2.0/24"});
  EXPECT_TRUE(by_ip.usable);
  EXPECT_EQ(by_ip.identity, "192.0.2.0/24");
  EXPECT_EQ(by_ip.source, "ip user");
  auto neither = extract_identity(method, IdentityInput{.mail_from = "a@b.example"});
  EXPECT_FALSE(neither.usable);
  EXPECT_FALSE(neither.fallback_reason.empty());
}

TEST(IdentityExtraction, EnvelopeSenderLowerCasesOnlyTheDomain) {
  IdentityMethod method{IdentityKind::kEnvelopeSender, {}};
  auto plain = extract_identity(method, IdentityInput{.mail_from = "John.Doe@Example.COM"});
  EXPECT_TRUE(plain.usable);
  EXPECT_EQ(plain.identity, "John.Doe@example.com");
  EXPECT_EQ(plain.source, "envelope sender");
  auto bracketed = extract_identity(method, IdentityInput{.mail_from = "<X@A.Example>"});
  EXPECT_EQ(bracketed.identity, "X@a.example");
  auto null_sender = extract_identity(method, IdentityInput{.mail_from = "<>"});
  EXPECT_FALSE(null_sender.usable);
  EXPECT_NE(null_sender.fallback_reason.find("null"), std::string::npos);
}

TEST(IdentityExtraction, WholeHeaderValueUnfoldedAndTrimmed) {
  auto result = identify_by_headers(
      R"j(["X-Client-ID"])j",
      "From: a@example.com\r\nx-client-id:   customer\r\n  42  \r\nSubject: hi\r\n\r\nbody\r\n");
  EXPECT_TRUE(result.usable) << result.fallback_reason;
  EXPECT_EQ(result.identity, "customer  42");
  EXPECT_EQ(result.source, "header X-Client-ID");
  EXPECT_TRUE(result.headers_to_remove.empty());
}

TEST(IdentityExtraction, RegexCaptureIsTheIdentity) {
  auto result =
      identify_by_headers(R"j([{"header":"X-Mailer-User","regex":"user=(\\w+)","remove":true}])j",
                          "X-Mailer-User: host=web3; user=bob42; x=1\r\n\r\n");
  EXPECT_TRUE(result.usable) << result.fallback_reason;
  EXPECT_EQ(result.identity, "bob42");
  EXPECT_EQ(result.headers_to_remove, std::vector<std::string>{"X-Mailer-User"});
}

TEST(IdentityExtraction, FirstOccurrenceWithAnIdentityWins) {
  auto result = identify_by_headers(R"j([{"header":"X-Id","regex":"id=(\\d*)"}])j",
                                    "X-Id: nothing here\r\nX-Id: id=\r\nX-Id: id=7\r\n"
                                    "X-Id: id=8\r\n\r\n");
  EXPECT_TRUE(result.usable) << result.fallback_reason;
  EXPECT_EQ(result.identity, "7");
}

TEST(IdentityExtraction, RulesAreTriedInOrder) {
  const char* message = "X-Second: two\r\nX-First: one\r\n\r\n";
  EXPECT_EQ(identify_by_headers(R"j(["X-First","X-Second"])j", message).identity, "one");
  EXPECT_EQ(identify_by_headers(R"j(["X-Missing","X-Second"])j", message).identity, "two");
}

TEST(IdentityExtraction, AbsentHeaderFallsBackWithReason) {
  auto result = identify_by_headers(R"j(["X-Client-ID",{"header":"X-U","regex":"u=(\\w+)"}])j",
                                    "From: a@example.com\r\nX-U: nope\r\n\r\nX-Client-ID: 9\r\n");
  EXPECT_FALSE(result.usable);
  EXPECT_EQ(result.identity, "");
  EXPECT_NE(result.fallback_reason.find("header X-Client-ID: absent"), std::string::npos)
      << result.fallback_reason;
  EXPECT_NE(result.fallback_reason.find("header X-U: regex did not match"), std::string::npos)
      << result.fallback_reason;
  auto no_headers = identify_by_headers(R"j(["X-Client-ID"])j", "");
  EXPECT_FALSE(no_headers.usable);
}

TEST(IdentityExtraction, UnusableIdentitiesFallBack) {
  auto too_long = identify_by_headers(
      R"j(["X-Id"])j", "X-Id: " + std::string(kMaxIdentityLength + 1, 'a') + "\r\n\r\n");
  EXPECT_FALSE(too_long.usable);
  EXPECT_NE(too_long.fallback_reason.find("longer"), std::string::npos);
  EXPECT_TRUE(identify_by_headers(R"j(["X-Id"])j",
                                  "X-Id: " + std::string(kMaxIdentityLength, 'a') + "\r\n\r\n")
                  .usable);
  auto control = identify_by_headers(R"j(["X-Id"])j", std::string("X-Id: a\x01z\r\n\r\n"));
  EXPECT_FALSE(control.usable);
  EXPECT_NE(control.fallback_reason.find("control"), std::string::npos);
  auto nul = identify_by_headers(
      R"j(["X-Id"])j", std::string("X-Id: a\0z\r\n\r\n", sizeof("X-Id: a\0z\r\n\r\n") - 1));
  EXPECT_FALSE(nul.usable);
  auto latin1 = identify_by_headers(R"j(["X-Id"])j", "X-Id: caf\xe9\r\n\r\n");
  EXPECT_FALSE(latin1.usable);
  EXPECT_NE(latin1.fallback_reason.find("UTF-8"), std::string::npos);
  auto utf8 = identify_by_headers(R"j(["X-Id"])j", "X-Id: caf\xc3\xa9\r\n\r\n");
  EXPECT_TRUE(utf8.usable);
  EXPECT_EQ(utf8.identity, "caf\xc3\xa9");
  // An unusable identity in the first rule lets the next rule decide.
  auto next =
      identify_by_headers(R"j(["X-Id","X-Other"])j", "X-Id: a\x7fz\r\nX-Other: fine\r\n\r\n");
  EXPECT_TRUE(next.usable);
  EXPECT_EQ(next.identity, "fine");
}

TEST(IdentityExtraction, RemoveListsPresentHeadersOnceEvenWithoutMatch) {
  auto result = identify_by_headers(
      R"j([{"header":"X-A","regex":"id=(\\d+)","remove":true},{"header":"x-a","remove":true},
          {"header":"X-Absent","remove":true},"X-B"])j",
      "X-A: no id\r\nX-B: bee\r\n\r\n");
  EXPECT_TRUE(result.usable);
  EXPECT_EQ(result.identity, "no id");  // rule 2: same header, whole value
  EXPECT_EQ(result.headers_to_remove, std::vector<std::string>{"X-A"});
}

TEST(IdentityExtraction, HandBuiltRulesWork) {
  IdentityMethod method{IdentityKind::kHeader,
                        {HeaderRule{"X-Id", std::string("n=(\\d+)"), true, nullptr}}};
  auto result = extract_identity(method, IdentityInput{.message = "X-Id: n=5\r\n\r\n"});
  EXPECT_TRUE(result.usable);
  EXPECT_EQ(result.identity, "5");
}

TEST(HeaderRemoval, KeepsEveryOtherByte) {
  const std::string message =
      "Received: from a\r\n\tby b\r\n"
      "X-Client: keep me\r\n"
      "X-Client-ID: drop\r\n   folded part\r\n"
      "X-Client-IDs: keep too\r\n"
      "Subject: x\r\n"
      "x-client-id : drop again\r\n"
      "\r\n"
      "X-Client-ID: body line stays\r\n"
      "\r\n"
      "X-Client-ID: also stays\r\n";
  EXPECT_EQ(remove_headers(message, {"X-Client-ID"}),
            "Received: from a\r\n\tby b\r\n"
            "X-Client: keep me\r\n"
            "X-Client-IDs: keep too\r\n"
            "Subject: x\r\n"
            "\r\n"
            "X-Client-ID: body line stays\r\n"
            "\r\n"
            "X-Client-ID: also stays\r\n");
  EXPECT_EQ(remove_headers(message, {}), message);
  EXPECT_EQ(remove_headers(message, {"X-Nothing"}), message);
}

TEST(HeaderRemoval, HandlesFirstLastAndUnterminatedFields) {
  EXPECT_EQ(remove_headers("X-A: 1\r\nB: 2\r\n\r\nbody", {"x-a"}), "B: 2\r\n\r\nbody");
  EXPECT_EQ(remove_headers("B: 2\r\nX-A: 1", {"X-A"}), "B: 2\r\n");
  EXPECT_EQ(remove_headers("X-A: 1\r\n", {"X-A"}), "");
  EXPECT_EQ(remove_headers("\r\nX-A: in body\r\n", {"X-A"}), "\r\nX-A: in body\r\n");
  // Lines that are not fields stay where they are.
  EXPECT_EQ(remove_headers("  orphan\r\nno colon\r\nX-A: 1\r\n\r\n", {"X-A"}),
            "  orphan\r\nno colon\r\n\r\n");
}

TEST(HostileInput, TenThousandHeadersFinishQuickly) {
  std::string message;
  for (int i = 0; i < 10000; ++i) message += "X-Id: value number " + std::to_string(i) + "\r\n";
  message += "\r\nbody\r\n";
  auto start = std::chrono::steady_clock::now();
  auto result =
      identify_by_headers(R"j([{"header":"X-Id","regex":"id=(\\d+)","remove":true}])j", message);
  std::string removed = remove_headers(message, result.headers_to_remove);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(result.usable);
  EXPECT_EQ(removed, "\r\nbody\r\n");
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

TEST(HostileInput, OneMegabyteValueFinishesQuickly) {
  std::string value(1 << 20, 'a');
  for (size_t i = 100; i < value.size(); i += 77) value.replace(i, 3, "\r\n ");
  std::string message = "X-Id: " + value + "user=zed\r\nX-Other: 1\r\n\r\nbody";
  auto start = std::chrono::steady_clock::now();
  auto by_regex =
      identify_by_headers(R"j([{"header":"X-Id","regex":"(?:a|\\s)*user=(\\w+)$"}])j", message);
  auto whole = identify_by_headers(R"j(["X-Id"])j", message);
  std::string removed = remove_headers(message, {"X-Id"});
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(by_regex.usable) << by_regex.fallback_reason;
  EXPECT_EQ(by_regex.identity, "zed");
  EXPECT_FALSE(whole.usable);
  EXPECT_EQ(removed, "X-Other: 1\r\n\r\nbody");
  EXPECT_LT(elapsed, std::chrono::seconds(3));
}

TEST(HostileInput, NulBytesAndBareLineEndsAreHandled) {
  const char raw[] = "X-Id: a\0b\r\nX-\0: c\r\nX-Id: id\n\nX-Id: body\r\n";
  const char kept[] = "X-\0: c\r\n\nX-Id: body\r\n";
  std::string message(raw, sizeof(raw) - 1);
  auto result = identify_by_headers(R"j(["X-Id"])j", message);
  EXPECT_FALSE(result.usable);  // the first X-Id holds a NUL and is the one that counts
  EXPECT_EQ(remove_headers(message, {"X-Id"}), std::string(kept, sizeof(kept) - 1));
}

}  // namespace
}  // namespace pw::policy
