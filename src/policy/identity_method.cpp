// F-IDENT: parses the admin's header rules (JSON, RE2) and finds a message's identity.
// The header walk is hand-written (RFC 5322 2.2): GMime would parse the whole message and
// re-serialise it, while removal must keep every other byte exactly as the client sent it.
// Trust: rules come from admins; the header section and MAIL FROM come from the SMTP client.
#include "policy/identity_method.hpp"

#include <re2/re2.h>

#include <nlohmann/json.hpp>

#include "mail/name_syntax.hpp"
#include "util/ascii_text.hpp"

namespace pw::policy {
namespace {

using Json = nlohmann::json;

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_wsp(std::string_view text) {
  while (!text.empty() && is_wsp(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_wsp(text.back())) text.remove_suffix(1);
  return text;
}

// RFC 5322 3.6.8: field-name = 1*ftext, ftext = %d33-57 / %d59-126.
std::optional<std::string> header_name_problem(std::string_view name) {
  if (name.empty()) return "header name is empty";
  if (name.size() > kMaxHeaderNameLength) {
    return "header name " + util::quote_for_message(name) + " is longer than " +
           std::to_string(kMaxHeaderNameLength) + " characters";
  }
  for (char c : name) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 33 || byte > 126 || c == ':') {
      return "header name " + util::quote_for_message(name) +
             " may hold only printable ASCII characters other than space and ':'";
    }
  }
  return std::nullopt;
}

// One header field as it stands in the message: [begin, end) covers its first line, its
// continuation lines and their line ends.
struct Field {
  size_t begin = 0;
  size_t end = 0;
  std::string_view name;       // trailing WSP before the colon dropped (RFC 5322 4.5.8 obs)
  std::string_view raw_value;  // after the colon, folds and final line end included
};

// Calls visit(field) for each field of the header section, top to bottom. The section ends at
// the first empty line (CRLF or a bare LF) or at the end of the input. Lines without a colon
// and continuation lines without a field before them are skipped, not visited.
template <class Visit>
void for_each_field(std::string_view message, Visit&& visit) {
  auto next_line = [&](size_t from) {
    size_t lf = message.find('\n', from);
    return lf == std::string_view::npos ? message.size() : lf + 1;
  };
  size_t pos = 0;
  while (pos < message.size()) {
    size_t line_end = next_line(pos);
    std::string_view line = message.substr(pos, line_end - pos);
    if (line == "\r\n" || line == "\n" || line == "\r") return;  // end of the header section
    size_t begin = pos;
    pos = line_end;
    while (pos < message.size() && is_wsp(message[pos])) pos = next_line(pos);
    if (is_wsp(line.front())) continue;  // a continuation line with no field before it
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = line.substr(0, colon);
    while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
    visit(Field{begin, pos, name, message.substr(begin + colon + 1, pos - begin - colon - 1)});
  }
}

// RFC 5322 2.2.3: unfolding removes the line ends in front of WSP; the final line end goes too.
// A lone CR stays (and makes the value unusable as an identity).
std::string unfold(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\n') continue;
    if (raw[i] == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n') continue;
    if (raw[i] == '\r' && i + 1 == raw.size()) continue;
    out.push_back(raw[i]);
  }
  return std::string(trim_wsp(out));
}

// Well-formed UTF-8 (no overlong forms, surrogates or code points above U+10FFFF) without C0,
// DEL or C1 control characters: an identity is stored, shown in the panel and written to logs.
std::optional<std::string> identity_problem(std::string_view id) {
  if (id.size() > kMaxIdentityLength) {
    return "identity longer than " + std::to_string(kMaxIdentityLength) + " octets";
  }
  for (size_t i = 0; i < id.size();) {
    auto b0 = static_cast<unsigned char>(id[i]);
    if (b0 < 0x20 || b0 == 0x7f) return std::string("identity holds control characters");
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    size_t length = b0 >= 0xc2 && b0 <= 0xdf   ? 2
                    : b0 >= 0xe0 && b0 <= 0xef ? 3
                    : b0 >= 0xf0 && b0 <= 0xf4 ? 4
                                               : 0;
    if (length == 0 || i + length > id.size()) return std::string("identity is not UTF-8");
    auto b1 = static_cast<unsigned char>(id[i + 1]);
    unsigned char low = 0x80, high = 0xbf;
    if (b0 == 0xe0) low = 0xa0;   // overlong
    if (b0 == 0xed) high = 0x9f;  // surrogates
    if (b0 == 0xf0) low = 0x90;   // overlong
    if (b0 == 0xf4) high = 0x8f;  // above U+10FFFF
    if (b1 < low || b1 > high) return std::string("identity is not UTF-8");
    for (size_t k = 2; k < length; ++k) {
      auto b = static_cast<unsigned char>(id[i + k]);
      if (b < 0x80 || b > 0xbf) return std::string("identity is not UTF-8");
    }
    if (b0 == 0xc2 && b1 < 0xa0) return std::string("identity holds control characters");
    i += length;
  }
  return std::nullopt;
}

IdentityResult usable_result(std::string identity, std::string source) {
  IdentityResult result;
  result.identity = std::move(identity);
  result.source = std::move(source);
  result.usable = true;
  return result;
}

IdentityResult fallback_result(std::string reason) {
  IdentityResult result;
  result.fallback_reason = std::move(reason);
  return result;
}

// A candidate from AUTH, the IP user or MAIL FROM: usable or a fallback naming its source.
IdentityResult judge(std::string candidate, std::string source) {
  if (auto problem = identity_problem(candidate)) {
    return fallback_result(source + ": " + *problem);
  }
  return usable_result(std::move(candidate), std::move(source));
}

IdentityResult from_envelope_sender(std::string_view mail_from) {
  if (mail_from.size() >= 2 && mail_from.front() == '<' && mail_from.back() == '>') {
    mail_from = mail_from.substr(1, mail_from.size() - 2);
  }
  if (mail_from.empty()) return fallback_result("envelope sender is null (MAIL FROM:<>)");
  std::string address(mail_from);
  size_t at = address.rfind('@');
  if (at != std::string::npos) {
    address = address.substr(0, at + 1) + util::ascii_lowercase(address.substr(at + 1));
  }
  return judge(std::move(address), "envelope sender");
}

IdentityResult from_auth_user(const IdentityInput& input) {
  if (!input.auth_user.empty()) return judge(std::string(input.auth_user), "auth user");
  if (!input.ip_user.empty()) return judge(std::string(input.ip_user), "ip user");
  return fallback_result("no SMTP AUTH name and no IP user");
}

// Per rule, while the header section is read once.
struct RuleState {
  bool present = false;
  bool decided = false;  // an occurrence gave a non-empty candidate
  bool matched = false;  // some occurrence matched the regex (or there is no regex)
  std::string candidate;
};

// Why a rule gave no identity (absent, no match, empty, not an identity); nullopt when it did.
std::optional<std::string> rule_problem(const HeaderRule& rule, const RuleState& state,
                                        bool compiles) {
  if (!state.present) return "absent";
  if (rule.regex && !compiles) return "regex does not compile";
  if (!state.matched) return "regex did not match";
  if (!state.decided) return "empty";
  return identity_problem(state.candidate);
}

// Each rule's regex: as made by make_header_rule, or compiled here for a rule built without it.
std::vector<std::shared_ptr<const re2::RE2>> compiled_rules(const std::vector<HeaderRule>& rules) {
  std::vector<std::shared_ptr<const re2::RE2>> compiled(rules.size());
  for (size_t i = 0; i < rules.size(); ++i) {
    compiled[i] = rules[i].compiled;
    if (rules[i].regex && !compiled[i])
      if (auto rule = make_header_rule(rules[i].header, rules[i].regex, rules[i].remove))
        compiled[i] = rule->compiled;
  }
  return compiled;
}

IdentityResult from_headers(const std::vector<HeaderRule>& rules, std::string_view message) {
  if (rules.empty()) return fallback_result("identity method header has no header rules");
  std::vector<RuleState> states(rules.size());
  const std::vector<std::shared_ptr<const re2::RE2>> compiled = compiled_rules(rules);
  for_each_field(message, [&](const Field& field) {
    std::optional<std::string> value;  // unfolded once per field, only when a rule wants it
    for (size_t i = 0; i < rules.size(); ++i) {
      if (!util::ascii_iequals(field.name, rules[i].header)) continue;
      RuleState& state = states[i];
      state.present = true;
      if (state.decided) continue;
      if (!value) value = unfold(field.raw_value);
      std::string_view candidate = *value;
      if (rules[i].regex) {
        if (!compiled[i]) continue;  // an invalid regex never matches
        re2::StringPiece group;
        if (!re2::RE2::PartialMatch(*value, *compiled[i], &group)) continue;
        candidate = trim_wsp(std::string_view(group.data(), group.size()));
      }
      state.matched = true;
      if (candidate.empty()) continue;
      state.decided = true;
      state.candidate = std::string(candidate);
    }
  });

  IdentityResult result;
  std::string reasons;
  for (size_t i = 0; i < rules.size(); ++i) {
    const HeaderRule& rule = rules[i];
    const RuleState& state = states[i];
    if (rule.remove && state.present) {
      bool listed = false;
      for (const auto& name : result.headers_to_remove)
        listed |= util::ascii_iequals(name, rule.header);
      if (!listed) result.headers_to_remove.push_back(rule.header);
    }
    if (result.usable) continue;
    std::string source = "header " + rule.header;
    const std::optional<std::string> problem = rule_problem(rule, state, compiled[i] != nullptr);
    if (!problem) {
      result.identity = state.candidate;
      result.source = std::move(source);
      result.usable = true;
      continue;
    }
    if (!reasons.empty()) reasons += "; ";
    reasons += source + ": " + *problem;
  }
  if (!result.usable) result.fallback_reason = std::move(reasons);
  return result;
}

Result<HeaderRule> rule_from_json(const Json& element) {
  if (element.is_string()) return make_header_rule(element.get<std::string>(), std::nullopt, false);
  if (!element.is_object()) {
    return fail(
        "is neither a header name nor an object {\"header\":..., \"regex\":..., "
        "\"remove\":...}");
  }
  std::optional<std::string> header;
  std::optional<std::string> regex;
  bool remove = false;
  for (const auto& [key, value] : element.items()) {
    if (key == "header") {
      if (!value.is_string()) return fail("\"header\" must be a string");
      header = value.get<std::string>();
    } else if (key == "regex") {
      if (value.is_null()) continue;
      if (!value.is_string()) return fail("\"regex\" must be a string");
      regex = value.get<std::string>();
    } else if (key == "remove") {
      if (!value.is_boolean()) return fail("\"remove\" must be true or false");
      remove = value.get<bool>();
    } else {
      return fail("unknown key " + util::quote_for_message(key) +
                  " (expected header, regex, remove)");
    }
  }
  if (!header) return fail("has no \"header\"");
  return make_header_rule(std::move(*header), std::move(regex), remove);
}

}  // namespace

std::string_view to_string(IdentityKind kind) {
  switch (kind) {
    case IdentityKind::kNone:
      return "none";
    case IdentityKind::kAuthUser:
      return "auth_user";
    case IdentityKind::kEnvelopeSender:
      return "envelope_sender";
    case IdentityKind::kHeader:
      return "header";
  }
  return "none";
}

Result<IdentityKind> parse_identity_kind(std::string_view text) {
  for (auto kind : {IdentityKind::kNone, IdentityKind::kAuthUser, IdentityKind::kEnvelopeSender,
                    IdentityKind::kHeader}) {
    if (util::ascii_iequals(text, to_string(kind))) return kind;
  }
  return fail("identity method " + util::quote_for_message(text) +
              " is not one of none, auth_user, envelope_sender, header");
}

bool HeaderRule::operator==(const HeaderRule& other) const {
  return header == other.header && regex == other.regex && remove == other.remove;
}

Result<HeaderRule> make_header_rule(std::string header, std::optional<std::string> regex,
                                    bool remove) {
  if (auto problem = header_name_problem(header)) return fail(*problem);
  HeaderRule rule{std::move(header), std::move(regex), remove, nullptr};
  if (!rule.regex) return rule;
  const std::string& pattern = *rule.regex;
  if (pattern.empty()) return fail("regex is empty (leave it out to use the whole value)");
  if (pattern.size() > kMaxRegexLength) {
    return fail("regex is longer than " + std::to_string(kMaxRegexLength) + " characters");
  }
  re2::RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(kRegexMaxMemory);
  auto compiled = std::make_shared<const re2::RE2>(pattern, options);
  if (!compiled->ok()) {
    return fail("regex " + util::quote_for_message(pattern) +
                " does not compile: " + util::quote_for_message(compiled->error()));
  }
  int groups = compiled->NumberOfCapturingGroups();
  if (groups != 1) {
    return fail("regex " + util::quote_for_message(pattern) +
                " must have exactly one capturing group (the identity), it has " +
                std::to_string(groups) + "; use (?:...) for other groups");
  }
  rule.compiled = std::move(compiled);
  return rule;
}

Result<std::vector<HeaderRule>> parse_header_rules(std::string_view text) {
  if (text.size() > kMaxHeaderRulesText) {
    return fail("identity_headers is longer than " + std::to_string(kMaxHeaderRulesText) +
                " characters");
  }
  std::vector<HeaderRule> rules;
  if (trim_wsp(text).empty()) return rules;
  Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_array()) {
    return fail(
        "identity_headers must be a JSON array, e.g. "
        "[{\"header\":\"X-Client-ID\",\"regex\":\"id=(\\\\w+)\",\"remove\":true}]");
  }
  if (parsed.size() > kMaxHeaderRules) {
    return fail("identity_headers has " + std::to_string(parsed.size()) + " rules, at most " +
                std::to_string(kMaxHeaderRules) + " are allowed");
  }
  for (size_t i = 0; i < parsed.size(); ++i) {
    auto rule = rule_from_json(parsed[i]);
    if (!rule)
      return fail("identity_headers rule " + std::to_string(i + 1) + ": " + rule.error().message);
    rules.push_back(std::move(*rule));
  }
  return rules;
}

std::string format_header_rules(const std::vector<HeaderRule>& rules) {
  Json array = Json::array();
  for (const auto& rule : rules) {
    Json object = Json::object();
    object["header"] = rule.header;
    if (rule.regex) object["regex"] = *rule.regex;
    if (rule.remove) object["remove"] = true;
    array.push_back(std::move(object));
  }
  // nlohmann sorts object keys; the canonical order (header, regex, remove) happens to be sorted.
  // Invalid UTF-8 cannot come from parse_header_rules (RE2 refuses it in a pattern); replace keeps
  // a hand-built rule from throwing here.
  return array.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<IdentityMethod> make_identity_method(std::string_view kind_text,
                                            std::string_view header_rules_text) {
  auto kind = parse_identity_kind(kind_text);
  if (!kind) return tl::unexpected(kind.error());
  auto rules = parse_header_rules(header_rules_text);
  if (!rules) return tl::unexpected(rules.error());
  if (*kind == IdentityKind::kHeader && rules->empty()) {
    return fail(
        "identity method header needs identity_headers, e.g. [\"X-Client-ID\"] or "
        "[{\"header\":\"X-Client-ID\",\"regex\":\"id=(\\\\w+)\",\"remove\":true}]");
  }
  return IdentityMethod{*kind, std::move(*rules)};
}

IdentityResult extract_identity(const IdentityMethod& method, const IdentityInput& input) {
  switch (method.kind) {
    case IdentityKind::kNone:
      return fallback_result("identity method is none");
    case IdentityKind::kAuthUser:
      return from_auth_user(input);
    case IdentityKind::kEnvelopeSender:
      return from_envelope_sender(input.mail_from);
    case IdentityKind::kHeader:
      return from_headers(method.rules, input.message);
  }
  return fallback_result("identity method is none");
}

std::string remove_headers(std::string_view message, const std::vector<std::string>& names) {
  if (names.empty()) return std::string(message);
  std::string out;
  out.reserve(message.size());
  size_t copied_to = 0;
  for_each_field(message, [&](const Field& field) {
    for (const auto& name : names) {
      if (!util::ascii_iequals(field.name, name)) continue;
      out.append(message.substr(copied_to, field.begin - copied_to));
      copied_to = field.end;
      return;
    }
  });
  out.append(message.substr(copied_to));
  return out;
}

}  // namespace pw::policy
