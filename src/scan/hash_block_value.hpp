// F-FUZZY: the values an admin may put on the hash block list, checked before they are stored:
// a SHA-256 hash (64 hex digits, stored lower-case) or a fuzzy fingerprint ("fz1:..."), and a
// note of one line.
// Trust: values come from the admin (CLI, API) and may hold any byte.
#pragma once
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace pw::scan {

// The canonical value for `kind` (sha256 lower-cased), or a one-line error naming what is wrong.
Result<std::string> canonical_hash_block(std::string_view kind, std::string_view value);
// At most store::kHashNoteMaxLength octets of one line without control characters.
Result<void> validate_hash_note(std::string_view note);

}  // namespace pw::scan
