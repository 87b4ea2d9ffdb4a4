// F-FUZZY: hash block list values (see the header).
#include "scan/hash_block_value.hpp"

#include "scan/fuzzy_fingerprint.hpp"
#include "store/hash_block_repository.hpp"
#include "util/ascii_text.hpp"
#include "util/sha256.hpp"

namespace pw::scan {

Result<std::string> canonical_hash_block(std::string_view kind, std::string_view value) {
  if (kind == store::kHashKindSha256) {
    if (!util::is_sha256_hex(value))
      return fail("a SHA-256 hash is 64 hex digits; got " + std::to_string(value.size()) +
                  " characters");
    return util::ascii_lowercase(value);
  }
  if (kind == store::kHashKindFuzzy) {
    auto fp = FuzzyFingerprint::parse(value);
    if (!fp) return tl::unexpected(fp.error());
    return fp->to_string();
  }
  return fail("unknown hash kind \"" + std::string(kind) + "\"; valid kinds: sha256, fuzzy");
}

Result<void> validate_hash_note(std::string_view note) {
  if (note.size() > store::kHashNoteMaxLength)
    return fail("a note is at most " + std::to_string(store::kHashNoteMaxLength) + " characters");
  for (unsigned char c : note)
    if (c < 0x20 || c == 0x7F) return fail("a note is one line of text without control characters");
  return {};
}

}  // namespace pw::scan
