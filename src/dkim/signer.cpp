// See signer.hpp.
#include "dkim/signer.hpp"

#include <algorithm>
#include <unordered_map>

#include "util/base64.hpp"

namespace pw::dkim {
namespace {

constexpr size_t kMaxLine = 78;  // RFC 5322 2.1.1 recommended line length
constexpr size_t kSignatureChunk = 70;

bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] + 32) : b[i];
    if (x != y) return false;
  }
  return true;
}

// Appends `item` to a folded header being built, starting a continuation line first when the
// current line would grow past kMaxLine.
void append_folded(std::string& out, size_t& line_length, std::string_view item,
                   std::string_view fold = "\r\n\t") {
  if (line_length + item.size() > kMaxLine && line_length > 1) {
    out += fold;
    line_length = fold.size() - 2;
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
  }
  out += item;
  line_length += item.size();
}

std::string lower_name(std::string_view name) {
  std::string out(name);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

}  // namespace

const std::vector<std::string>& default_signed_headers() {
  static const std::vector<std::string> names = {"from",
                                                 "reply-to",
                                                 "subject",
                                                 "date",
                                                 "to",
                                                 "cc",
                                                 "resent-date",
                                                 "resent-from",
                                                 "resent-to",
                                                 "resent-cc",
                                                 "in-reply-to",
                                                 "references",
                                                 "list-id",
                                                 "list-help",
                                                 "list-unsubscribe",
                                                 "list-subscribe",
                                                 "list-post",
                                                 "list-owner",
                                                 "list-archive",
                                                 "message-id",
                                                 "mime-version",
                                                 "content-type",
                                                 "content-transfer-encoding",
                                                 "content-id",
                                                 "content-description"};
  return names;
}

std::vector<HeaderField> split_header_fields(std::string_view section) {
  std::vector<HeaderField> fields;
  size_t pos = 0;
  while (pos < section.size()) {
    size_t start = pos;
    // A field runs to the CRLF that is not followed by whitespace (folding).
    for (;;) {
      size_t crlf = section.find("\r\n", pos);
      if (crlf == std::string_view::npos) {
        pos = section.size();
        break;
      }
      pos = crlf + 2;
      if (pos >= section.size() || (section[pos] != ' ' && section[pos] != '\t')) break;
    }
    std::string_view raw = section.substr(start, pos - start);
    auto colon = raw.find(':');
    if (colon == std::string_view::npos) continue;  // not a field: never signed
    std::string_view name = raw.substr(0, colon);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    fields.push_back({name, raw});
  }
  return fields;
}

namespace {

// h=: each configured name once per instance, over-signed names once more. The hash input takes
// instances from the bottom up (RFC 6376 5.4.2). Linear in the fields (issue 15, item 5): the
// fields are indexed by lower-case name once, and each name keeps a cursor that moves up its own
// instances, so 80,000 "To:" fields cost 80,000 steps, not 80,000 squared. Returns the names of
// h= and appends the canonical fields to `data`.
std::vector<std::string> signed_names(const std::vector<HeaderField>& fields,
                                      const SignerOptions& options, std::string& data) {
  std::unordered_map<std::string, std::vector<size_t>> by_name;
  for (size_t i = 0; i < fields.size(); ++i) by_name[lower_name(fields[i].name)].push_back(i);
  std::unordered_map<std::string, size_t> left;  // per name: instances not yet taken
  std::vector<std::string> names;
  for (const auto& name : options.signed_headers) {
    if (same_name(name, "dkim-signature")) continue;
    const std::string key = lower_name(name);
    auto found = by_name.find(key);
    const size_t count = found == by_name.end() ? 0 : found->second.size();
    bool over = std::find(options.oversigned_headers.begin(), options.oversigned_headers.end(),
                          name) != options.oversigned_headers.end();
    if (count == 0 && !over) continue;
    size_t& cursor = left.try_emplace(key, count).first->second;
    for (size_t n = 0; n < count; ++n) {
      // A name listed twice in signed_headers finds its instances taken: it adds nothing.
      if (cursor > 0)
        data +=
            canonical_header(options.canonicalization.header, fields[found->second[--cursor]].raw);
      names.push_back(name);
    }
    if (over) names.push_back(name);  // names a field that does not exist: adds nothing
  }
  return names;
}

// The signature field with an empty b=, folded as it will be sent.
std::string unsigned_field(const PrivateKey& key, const SignRequest& request,
                           const SignerOptions& options, const std::vector<std::string>& names) {
  std::string field = "DKIM-Signature: v=1; a=" + std::string(signing_algorithm(key.type())) +
                      "; c=" + to_string(options.canonicalization) + ";";
  size_t line = field.size();
  append_folded(field, line, " d=" + std::string(request.domain) + ";");
  append_folded(field, line, " s=" + std::string(request.selector) + ";");
  append_folded(field, line, " t=" + std::to_string(request.timestamp) + ";");
  if (options.expire_after_s > 0)
    append_folded(field, line,
                  " x=" + std::to_string(request.timestamp + options.expire_after_s) + ";");
  for (size_t i = 0; i < names.size(); ++i) {
    std::string item = (i == 0 ? " h=" : "") + names[i] + (i + 1 == names.size() ? ";" : ":");
    append_folded(field, line, item, "\r\n\t ");
  }
  append_folded(field, line, " bh=" + util::base64_encode(request.body_hash) + ";");
  field += "\r\n\tb=";
  return field;
}

}  // namespace

Result<std::string> sign_headers(const PrivateKey& key, std::string_view section,
                                 const SignRequest& request, const SignerOptions& options) {
  if (request.body_hash.size() != 32) return fail("body hash missing");
  std::string data;
  const std::vector<std::string> names = signed_names(split_header_fields(section), options, data);
  std::string field = unsigned_field(key, request, options, names);
  std::string canonical_self = canonical_header(options.canonicalization.header, field);
  canonical_self.resize(canonical_self.size() - 2);  // no CRLF after the signature field
  data += canonical_self;
  auto signature = key.sign(data);
  if (!signature) return tl::unexpected(signature.error());
  std::string b = util::base64_encode(*signature);
  for (size_t i = 0; i < b.size(); i += kSignatureChunk) {
    if (i > 0) field += "\r\n\t ";
    field += b.substr(i, kSignatureChunk);
  }
  field += "\r\n";
  return field;
}

}  // namespace pw::dkim
