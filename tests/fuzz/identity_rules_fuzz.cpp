// Fuzzes the F-IDENT header rules parser, identity extraction and header removal.
// Input: first line = rules text (JSON; also tried as one RE2 pattern), the rest = a message.
// Promises checked: printed rules parse back to the same rules; a usable identity is non-empty,
// bounded and free of control characters; a fallback has a one-line reason; removal never
// touches the body and leaves none of the removed fields behind.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "policy/identity_method.hpp"

namespace {

using namespace pw::policy;

void check(bool promise) {
  if (!promise) std::abort();
}

void check_result(const IdentityResult& result) {
  if (result.usable) {
    check(!result.identity.empty() && result.identity.size() <= kMaxIdentityLength);
    check(result.fallback_reason.empty() && !result.source.empty());
    for (char c : result.identity) {
      auto byte = static_cast<unsigned char>(c);
      check(byte >= 0x20 && byte != 0x7f);
    }
  } else {
    check(result.identity.empty() && !result.fallback_reason.empty());
    check(result.fallback_reason.find_first_of("\r\n") == std::string::npos);
  }
}

// The body: everything from the first empty line on (as remove_headers sees it).
std::string_view body_of(std::string_view message) {
  size_t pos = 0;
  while (pos < message.size()) {
    size_t lf = message.find('\n', pos);
    size_t end = lf == std::string_view::npos ? message.size() : lf + 1;
    std::string_view line = message.substr(pos, end - pos);
    if (line == "\r\n" || line == "\n" || line == "\r") return message.substr(pos);
    pos = end;
  }
  return {};
}

void exercise(const IdentityMethod& method, std::string_view message) {
  IdentityResult result = extract_identity(method, IdentityInput{.message = message});
  check_result(result);
  std::string removed = remove_headers(message, result.headers_to_remove);
  check(removed.size() <= message.size());
  std::string_view body = body_of(message);
  check(std::string_view(removed).ends_with(body));
  if (!result.headers_to_remove.empty()) {
    check(remove_headers(removed, result.headers_to_remove) == removed);
    check(extract_identity(method, IdentityInput{.message = removed}).headers_to_remove.empty());
  } else {
    check(removed == message);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t lf = input.find('\n');
  std::string_view rules_text = input.substr(0, lf);
  std::string_view message = lf == std::string_view::npos ? "" : input.substr(lf + 1);

  if (auto rules = parse_header_rules(rules_text)) {
    check(rules->size() <= kMaxHeaderRules);
    std::string printed = format_header_rules(*rules);
    auto again = parse_header_rules(printed);
    check(again && *again == *rules && format_header_rules(*again) == printed);
    if (!rules->empty()) exercise(IdentityMethod{IdentityKind::kHeader, *rules}, message);
  } else {
    check(rules.error().message.find_first_of("\r\n") == std::string::npos);
  }

  // The same line as one pattern, beside a fixed rule, so RE2 sees fuzzed patterns even when the
  // line is not JSON.
  IdentityMethod method{IdentityKind::kHeader, {}};
  if (auto rule = make_header_rule("X-Re", std::string(rules_text), true)) {
    method.rules.push_back(std::move(*rule));
  }
  method.rules.push_back(*make_header_rule("X-Id", std::nullopt, false));
  method.rules.push_back(*make_header_rule("x-id", std::string("id=([^;]*)"), true));
  exercise(method, message);

  for (auto kind : {IdentityKind::kNone, IdentityKind::kAuthUser, IdentityKind::kEnvelopeSender}) {
    check_result(extract_identity(
        IdentityMethod{kind, {}},
        IdentityInput{
            .auth_user = rules_text, .ip_user = message.substr(0, 64), .mail_from = rules_text}));
  }
  return 0;
}
