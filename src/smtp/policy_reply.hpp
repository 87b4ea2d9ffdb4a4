// The SMTP reply to a policy verdict: the check's "550 5.7.1 text" made printable and bounded.
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
// without a reply of its own gets a generic refusal.
Reply policy_reply(const policy::Verdict& verdict, std::string_view suffix = "");

}  // namespace pw::smtp
