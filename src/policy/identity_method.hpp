// F-IDENT: the identification method of an outgoing user, its settings text (parser and printer),
// and the identity of one message under it. The identity is what F-LOCK-ID counts and locks.
// Trust: header rules come from admins (settings, CLI, API) and are validated here; the message
// header section and MAIL FROM come from the SMTP client and may hold any byte, in any amount.
//
// Use from the policy engine (once per user when its settings load, once per message):
//
//   auto method = make_identity_method(settings.identification_method,
//                                      settings.identity_headers);
//   // an error here means the stored settings no longer validate: use IdentityMethod{} (none)
//   // and log method.error().message
//   IdentityResult id = extract_identity(*method, {.auth_user = session.auth_user,
//                                                  .ip_user = session.ip_user_name,
//                                                  .mail_from = envelope.mail_from,
//                                                  .message = message_bytes});
//   if (id.usable) { count and lock by (user, id.identity) } else { by user; log fallback_reason }
//   message = remove_headers(message, id.headers_to_remove);   // before DKIM signing / delivery
//
// A parsed IdentityMethod is immutable and cheap to copy (compiled regexes are shared); it may be
// used from several threads at once (RE2 matching is thread-safe).
//
// Settings (key=value strings of the user):
//   identification_method = none | auth_user | envelope_sender | header  (parse_identity_kind)
//   identity_headers      = rules (parse_header_rules; store format_header_rules of the result)
// The rules text is a JSON array; each element is either a header name (whole value, header
// kept) or an object {"header": NAME, "regex": RE2, "remove": BOOL}, where "regex" (exactly one
// capturing group: the identity) and "remove" (default false) may be left out. Examples:
//     ["X-Client-ID"]
//     [{"header":"X-Client-ID","remove":true},{"header":"X-Mailer-User","regex":"^user=(\\w+)"}]
//     [{"header":"Received","regex":"by [^ ]+ \\(auth=([^);]+)\\)"}]
// Why JSON: a regex may hold any character (':', ';', ',', quotes, spaces), and JSON is the one
// syntax with well-known quoting that the CLI, the API and the panel already speak; a hand-made
// delimiter syntax would need its own escaping rules that admins would have to learn.
// format_header_rules() prints the canonical compact form; parsing it gives the same rules back.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace re2 {
class RE2;
}

namespace pw::policy {

// Bounds on the admin's rules (checked by the parser) and on an identity (checked per message).
inline constexpr size_t kMaxHeaderRules = 16;
inline constexpr size_t kMaxHeaderRulesText = 8192;  // octets of the identity_headers text
inline constexpr size_t kMaxHeaderNameLength = 76;   // a field name and ':' fit a 78-char line
inline constexpr size_t kMaxRegexLength = 512;       // octets of one pattern
inline constexpr int64_t kRegexMaxMemory = 1 << 20;  // RE2 compiled-program budget per pattern
inline constexpr size_t kMaxIdentityLength = 256;    // octets; longer identities are unusable

enum class IdentityKind {
  kNone,            // no identities: count and lock by user only
  kAuthUser,        // SMTP AUTH name (RFC 4954); for an IP user without AUTH, its user name
  kEnvelopeSender,  // MAIL FROM address (RFC 5321 4.1.2), domain part lower-cased
  kHeader,          // the first header rule that yields a usable identity
};

// "none", "auth_user", "envelope_sender", "header": the stored setting value.
std::string_view to_string(IdentityKind kind);
// Case-insensitive; refuses anything else with the list of accepted values.
Result<IdentityKind> parse_identity_kind(std::string_view text);

struct HeaderRule {
  std::string header;                // RFC 5322 3.6.8 field name, matched case-insensitively
  std::optional<std::string> regex;  // RE2 pattern, one capturing group; absent = whole value
  bool remove = false;               // remove every such header field before delivery
  // The compiled regex, set by make_header_rule/parse_header_rules; shared between copies.
  std::shared_ptr<const re2::RE2> compiled;

  // Equal when header, regex and remove are (the compiled form follows from them).
  bool operator==(const HeaderRule& other) const;
};

// Validates and compiles one rule: header name syntax and length, regex length, RE2 syntax and
// memory budget, exactly one capturing group.
Result<HeaderRule> make_header_rule(std::string header, std::optional<std::string> regex,
                                    bool remove);

// The identity_headers text (see above) to rules, in order; "" and "[]" give no rules. Errors
// name the rule ("rule 2: ...") and fit one line.
Result<std::vector<HeaderRule>> parse_header_rules(std::string_view text);
// The canonical compact JSON form: keys in the order header, regex, remove; "regex" left out
// when absent and "remove" when false. "[]" for no rules.
std::string format_header_rules(const std::vector<HeaderRule>& rules);

struct IdentityMethod {
  IdentityKind kind = IdentityKind::kNone;
  std::vector<HeaderRule> rules;  // kept for every kind, used by kHeader only

  bool operator==(const IdentityMethod& other) const = default;
};

// Both settings at once. Method "header" needs at least one rule; rules given with another
// method are validated and kept (switching the method back and forth does not lose them).
Result<IdentityMethod> make_identity_method(std::string_view kind_text,
                                            std::string_view header_rules_text);

// What one message offers to identify its sender. All fields may be empty.
struct IdentityInput {
  std::string_view auth_user;  // the SMTP AUTH name, empty when the client did not authenticate
  std::string_view ip_user;    // the name of the authenticating-IP user the client matched
  std::string_view mail_from;  // the MAIL FROM address, with or without <>; empty for <>
  // The header section, or the whole message (reading stops at the first empty line). CRLF line
  // ends; a bare LF ends a line too. Folded, hostile, huge or absent headers are all fine.
  std::string_view message;
};

// The identity of one message.
//
// Fallback: when the method yields nothing usable (method none, no AUTH name, null sender, no
// header present, no regex match, an identity too long, with control characters or not UTF-8),
// `identity` is empty, `usable` is false and `fallback_reason` says why in one printable line;
// the caller then counts and locks by the user alone. Fallback never blocks a message.
//
// Header method: rules are tried in the admin's order. For each rule, the occurrences of its
// header are read top to bottom; each value is unfolded and trimmed of spaces and tabs, then
// either taken whole or matched with RE2::PartialMatch (the first group, trimmed, is the
// candidate). The first occurrence giving a non-empty candidate decides that rule: a usable
// candidate is the identity; an unusable one sets fallback_reason and the next rule is tried.
// `headers_to_remove` lists (once each, in rule order) the headers of "remove" rules that are
// present in the message, whether or not they gave the identity: the admin wants them gone.
struct IdentityResult {
  std::string identity;  // empty unless usable
  std::string source;    // "header X-Client-ID", "auth user", "ip user",
                         // "envelope sender"; empty when not usable
  bool usable = false;
  std::vector<std::string> headers_to_remove;  // field names for remove_headers()
  std::string fallback_reason;                 // empty when usable
};

IdentityResult extract_identity(const IdentityMethod& method, const IdentityInput& input);

// `message` with every occurrence of the named header fields (names compared case-insensitively,
// continuation lines included) removed from the header section. Every other byte, the line ends
// and the whole body (also header-like lines in it) are kept exactly.
std::string remove_headers(std::string_view message, const std::vector<std::string>& names);

}  // namespace pw::policy
