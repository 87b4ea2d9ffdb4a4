// The SMTP reply to a policy verdict: the check's code, enhanced code and text, the text made
// printable and bounded. Nothing is parsed: the verdict carries the parts.
// Trust: verdict texts may quote client data (addresses, file names, lock reasons).
#pragma once
#include <cstddef>
#include <string_view>

#include "policy/verdict.hpp"
#include "smtp/reply.hpp"

namespace pw::smtp {

// Longest text of a policy reply; Reply::render spreads it over lines of kMaxReplyLine octets.
inline constexpr size_t kMaxPolicyReplyText = 2000;

// `suffix` (" (quarantine id X)") follows the check's text and is never cut off. A verdict
// without a 4xx/5xx code of its own gets a generic refusal.
Reply policy_reply(const policy::Verdict& verdict, std::string_view suffix = "");

}  // namespace pw::smtp
