// The rows of the quarantine (`quarantine`, `quarantine_commands`) as other parts of the node read
// them. quarantine/quarantine_store keeps the held files and their rows.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/database.hpp"
#include "util/result.hpp"

namespace pw::store {

// What the quarantine kept of a held message that its decisions do not keep.
struct HeldMessageFacts {
  std::string subject;
  int64_t size = 0;
  std::string rcpt_to_json;  // ["a@example.com", ...]
};

Result<std::optional<HeldMessageFacts>> held_message_facts(Database& db, std::string_view id);

}  // namespace pw::store
