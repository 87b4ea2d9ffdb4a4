// The hash block list for the CLI and the REST API (F-FUZZY, F-PANEL): attachment SHA-256
// hashes and fuzzy body fingerprints whose messages are held as spam. Administrators only: a
// domain admin gets 403 for every call. Blocking: call from a worker thread.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "service/actor.hpp"
#include "service/outcome.hpp"
#include "store/database.hpp"
#include "store/hash_block_repository.hpp"

namespace pw::service {

Outcome<std::vector<store::HashBlock>> list_hashes(const Actor& actor, store::Database& db);

// What to list: exactly one source.
struct HashAddRequest {
  std::optional<std::string> sha256;   // 64 hex digits
  std::optional<std::string> fuzzy;    // "fz1:..."
  std::optional<std::string> file;     // a file's bytes: its SHA-256 is listed
  std::string file_name;               // for the answer ("file report.pdf")
  std::optional<std::string> message;  // raw RFC 5322 text: its body fingerprint is listed
  bool attachments = false;            // with message: each attachment's SHA-256 too
  std::string note;
};

struct AddedHash {
  store::HashBlock block;
  std::string what;  // "", "file x", "body text", "attachment y"
};
// All or nothing: one listed already (409) or a bad value (400) adds none.
Outcome<std::vector<AddedHash>> add_hashes(const Actor& actor, store::Database& db,
                                           const config::Config& config,
                                           const HashAddRequest& request);
Outcome<store::HashBlock> remove_hash(const Actor& actor, store::Database& db, int64_t id);

// The fuzzy fingerprint of a message's body text, or why there is none (400).
Outcome<std::string> message_fingerprint(const std::string& message, const config::Config& config);

}  // namespace pw::service
