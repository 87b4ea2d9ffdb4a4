// What the submission server adds to a message (RFC 6409 8.2, 8.3, as Postfix's cleanup does):
// a Date and a Message-ID field when the client's header section has none.
// Trust: the message comes from an SMTP client; only its header section is read.
#pragma once
#include <string>
#include <string_view>

#include "policy/verdict.hpp"

namespace pw::smtp {

struct SubmissionHeaders {
  bool date = false;        // RFC 6409 8.2: Date was missing and is added
  bool message_id = false;  // RFC 6409 8.3: Message-ID was missing and is added

  bool any() const { return date || message_id; }
  // "Date,Message-ID", "Date", "Message-ID" or "".
  std::string names(std::string_view separator = ",") const;
};

// Which of the two fields the header section (up to the first empty line) lacks. Field names
// are case-insensitive; continuation lines are part of the field above them.
SubmissionHeaders missing_submission_headers(std::string_view message);

// The message with the missing fields added at the end of its header section, so trace fields
// stay on top and the body (and so its DKIM body hash) does not change. `date` and
// `message_id` are field values ("Wed, 25 Nov 2026 16:24:15 +0000", "<id@host>").
std::string add_submission_headers(std::string_view message, const SubmissionHeaders& missing,
                                   std::string_view date, std::string_view message_id);

// True when the header section (up to the first empty line) has more than `limit` fields (lines
// that are not continuation lines). Reads at most limit + 1 lines of it (issue 15, item 5: the
// [smtp] max_header_fields bound, checked before any scan or DKIM signature).
bool more_header_fields_than(std::string_view message, size_t limit);

// The entry of the message's decision trail that says what was added (a pass: it blocks nothing).
policy::Verdict submission_headers_decision(const SubmissionHeaders& added);

}  // namespace pw::smtp
