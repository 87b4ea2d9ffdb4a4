// Domain names, e-mail addresses and DKIM selectors as admins type them.
// Trust: admin input; every byte is checked before it is stored or echoed.
#include "mail/name_syntax.hpp"

#include <algorithm>

#include "util/ascii_text.hpp"

namespace pw::mail {
namespace {

using util::ascii_lowercase;
using util::quote_for_message;

constexpr size_t kMaxDomainName = 253;    // RFC 1035 2.3.4, without the trailing dot
constexpr size_t kMaxLabel = 63;          // RFC 1035 2.3.4
constexpr size_t kMaxLocalPart = 64;      // RFC 5321 4.5.3.1.1
constexpr size_t kMaxEmailAddress = 254;  // RFC 5321 4.5.3.1.3 path (256) less the angle brackets

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ldh(char c) { return (c >= 'a' && c <= 'z') || is_digit(c) || c == '-'; }

bool is_atext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c)) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

// Checks lower-cased, dot-separated LDH labels; `what` names the thing in the error.
Result<void> check_labels(std::string_view name, std::string_view original, std::string_view what) {
  size_t start = 0;
  while (true) {
    size_t end = name.find('.', start);
    std::string_view label = name.substr(start, end == std::string_view::npos ? end : end - start);
    if (label.empty()) {
      return fail(std::string(what) + " " + quote_for_message(original) + " has an empty label");
    }
    if (label.size() > kMaxLabel) {
      return fail(std::string(what) + " " + quote_for_message(original) +
                  " has a label longer than " + std::to_string(kMaxLabel) + " characters");
    }
    if (auto bad = std::find_if_not(label.begin(), label.end(), is_ldh); bad != label.end()) {
      return fail(std::string(what) + " " + quote_for_message(original) +
                  " may hold only letters, digits, hyphens and dots");
    }
    if (label.front() == '-' || label.back() == '-') {
      return fail(std::string(what) + " " + quote_for_message(original) +
                  " has a label that starts or ends with a hyphen");
    }
    if (end == std::string_view::npos) return {};
    start = end + 1;
  }
}

}  // namespace

Result<std::string> canonical_domain_name(std::string_view text) {
  if (text.empty()) return fail("empty domain name");
  std::string_view original = text;
  if (text.back() == '.') text.remove_suffix(1);
  if (std::any_of(text.begin(), text.end(),
                  [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
    return fail("domain name " + quote_for_message(original) +
                " is not ASCII: give an internationalized name in its A-label (xn--) form");
  }
  if (text.size() > kMaxDomainName) {
    return fail("domain name " + quote_for_message(original) + " is longer than " +
                std::to_string(kMaxDomainName) + " characters");
  }
  std::string name = ascii_lowercase(text);
  if (auto labels = check_labels(name, original, "domain name"); !labels) {
    return tl::unexpected(labels.error());
  }
  auto last_dot = name.rfind('.');
  if (last_dot == std::string::npos) {
    return fail("domain name " + quote_for_message(original) +
                " is not fully qualified (it needs at least one dot, as in example.com)");
  }
  std::string_view top = std::string_view(name).substr(last_dot + 1);
  if (std::all_of(top.begin(), top.end(), is_digit)) {
    return fail(quote_for_message(original) + " is not a domain name (its last label is numeric)");
  }
  return name;
}

Result<std::string> canonical_email_address(std::string_view text) {
  if (text.empty()) return fail("empty e-mail address");
  if (text.size() > kMaxEmailAddress) {
    return fail("e-mail address " + quote_for_message(text) + " is longer than " +
                std::to_string(kMaxEmailAddress) + " characters");
  }
  auto at = text.rfind('@');
  if (at == std::string_view::npos) {
    return fail(quote_for_message(text) + " is not an e-mail address (local-part@domain)");
  }
  std::string_view local = text.substr(0, at);
  if (local.empty())
    return fail("e-mail address " + quote_for_message(text) + " has no local part");
  if (local.size() > kMaxLocalPart) {
    return fail("e-mail address " + quote_for_message(text) + " has a local part longer than " +
                std::to_string(kMaxLocalPart) + " characters");
  }
  bool dots_ok =
      local.front() != '.' && local.back() != '.' && local.find("..") == std::string_view::npos;
  bool chars_ok =
      std::all_of(local.begin(), local.end(), [](char c) { return c == '.' || is_atext(c); });
  if (!dots_ok || !chars_ok) {
    return fail("e-mail address " + quote_for_message(text) +
                " has an invalid local part (no spaces, quotes, control characters or stray dots)");
  }
  auto domain = canonical_domain_name(text.substr(at + 1));
  if (!domain)
    return fail("e-mail address " + quote_for_message(text) + ": " + domain.error().message);
  return ascii_lowercase(local) + "@" + *domain;
}

Result<std::string> canonical_dkim_selector(std::string_view text) {
  if (text.empty()) return std::string();
  if (text.size() > kMaxDomainName) {
    return fail("DKIM selector " + quote_for_message(text) + " is longer than " +
                std::to_string(kMaxDomainName) + " characters");
  }
  std::string selector = ascii_lowercase(text);
  if (auto labels = check_labels(selector, text, "DKIM selector"); !labels) {
    return tl::unexpected(labels.error());
  }
  return selector;
}

}  // namespace pw::mail
