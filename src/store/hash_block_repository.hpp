// The admin's hash block list (F-FUZZY): SHA-256 hashes of attachments and fuzzy fingerprints of
// message bodies whose messages are held as spam. Add, list, remove; changes bump the config
// generation (triggers of migration 8), so a running gateway reloads its policy snapshot.
// Trust: values come from the admin (CLI, API); callers store only what
// scan/hash_block_value accepted, in its canonical form.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.hpp"
#include "util/result.hpp"

namespace pw::store {

inline constexpr std::string_view kHashKindSha256 = "sha256";
inline constexpr std::string_view kHashKindFuzzy = "fuzzy";
// Notes are one line of text for people; longer is refused.
inline constexpr std::size_t kHashNoteMaxLength = 200;

struct HashBlock {
  int64_t id = 0;
  std::string kind;   // "sha256" or "fuzzy"
  std::string value;  // 64 lower-case hex digits, or "fz1:..."
  std::string note;
  int64_t created_at = 0;
};

class HashBlockRepository {
 public:
  explicit HashBlockRepository(Database& db) : db_(db) {}

  // `value` canonical and `note` checked (scan/hash_block_value). Refused when the same kind and
  // value is listed already (the error names its id).
  Result<HashBlock> add(std::string_view kind, std::string_view value, std::string_view note);
  Result<std::vector<HashBlock>> list();  // by id
  // An error when there is no entry `id`.
  Result<HashBlock> remove(int64_t id);

 private:
  Database& db_;
};

}  // namespace pw::store
