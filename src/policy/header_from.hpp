// The address of a message's From header (RFC 5322 3.6.2), for F-FROM. Reads the first From
// field of the header section, unfolded; takes the angle-addr of a name-addr, or the bare
// addr-spec; comments and display names are dropped. Several addresses, none, or no '@': "".
// Hand-written because GMime arrives with issue 5 and this needs one field, not a MIME parse.
// Trust: the message comes from an SMTP client; input is bounded by the header section.
#pragma once
#include <string>
#include <string_view>

namespace pw::policy {

std::string header_from_address(std::string_view message);

}  // namespace pw::policy
