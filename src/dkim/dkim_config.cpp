// See dkim_config.hpp.
#include "dkim/dkim_config.hpp"

#include "mail/name_syntax.hpp"
#include "util/ascii_text.hpp"

namespace pw::dkim {
namespace {

// RFC 5322 2.2: a field name is printable ASCII except the colon.
bool valid_field_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name)
    if (c < 33 || c > 126 || c == ':') return false;
  return true;
}

Result<void> normalize_names(std::vector<std::string>& names, std::string_view key) {
  for (auto& name : names) {
    if (!valid_field_name(name))
      return fail("dkim." + std::string(key) + ": '" + name + "' is not a header field name");
    name = util::ascii_lowercase(name);
    if (name == "dkim-signature")
      return fail("dkim." + std::string(key) + ": DKIM-Signature cannot be signed by itself");
  }
  return {};
}

}  // namespace

Result<void> normalize_config(config::DkimConfig& config) {
  if (auto c = parse_canonicalization(config.canonicalization); !c)
    return fail("dkim.canonicalization: " + c.error().message);
  if (auto t = parse_key_type(config.default_algorithm); !t)
    return fail("dkim.default_algorithm: " + t.error().message);
  if (auto r = normalize_names(config.signed_headers, "signed_headers"); !r) return r;
  if (auto r = normalize_names(config.oversigned_headers, "oversigned_headers"); !r) return r;
  bool from = false;
  for (const auto& name : config.signed_headers) from = from || name == "from";
  if (!from) return fail("dkim.signed_headers: must contain \"from\" (RFC 6376 5.4)");
  return {};
}

SignerOptions signer_options(const config::DkimConfig& config) {
  SignerOptions options;
  options.canonicalization = *parse_canonicalization(config.canonicalization);
  options.signed_headers = config.signed_headers;
  options.oversigned_headers = config.oversigned_headers;
  options.expire_after_s = config.expire_after_s;
  return options;
}

}  // namespace pw::dkim
