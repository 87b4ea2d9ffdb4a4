// Builds the DKIM-Signature header field of a message (RFC 6376 section 5): picks the header
// fields to sign (every instance of each configured name, plus one empty instance of each
// over-signed name so that a field added later breaks the signature, section 5.4.2), hashes
// their canonical form and the signature field itself, and signs with the domain's key. The body
// hash comes from a BodyHasher that saw the message while it was read.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dkim/canonical.hpp"
#include "dkim/private_key.hpp"
#include "mail/header_summary.hpp"
#include "util/result.hpp"

namespace pw::dkim {

// RFC 6376 5.4.1's recommended fields, lower-case.
const std::vector<std::string>& default_signed_headers();

struct SignerOptions {
  Canonicalization canonicalization;
  std::vector<std::string> signed_headers = default_signed_headers();  // lower-case names
  std::vector<std::string> oversigned_headers = {"from"};              // lower-case names
  int64_t expire_after_s = 0;  // x= is t= plus this; 0 = no x= tag
};

struct SignRequest {
  std::string_view domain;     // d=
  std::string_view selector;   // s=
  int64_t timestamp = 0;       // t=
  std::string_view body_hash;  // raw SHA-256 of the canonical body (of options' body canon)
};

// The header section of a message: everything before the first empty line (the whole message
// when there is none); one definition for every module, in mail/.
using mail::header_section;

// One header field: its name (as written) and the whole field, folding and CRLF included.
struct HeaderField {
  std::string_view name;
  std::string_view raw;
};
std::vector<HeaderField> split_header_fields(std::string_view header_section);

// The complete "DKIM-Signature: ...\r\n" field, folded to lines of at most 78 octets, to be put
// above the message's first header field.
Result<std::string> sign_headers(const PrivateKey& key, std::string_view header_section,
                                 const SignRequest& request, const SignerOptions& options);

}  // namespace pw::dkim
