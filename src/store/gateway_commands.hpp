// The commands the CLI leaves for a running gateway, in one table (`gateway_commands`, migration
// 16): queue flush and delete, quarantine release. The gateway carries each out and writes its
// answer line; the CLI waits for that answer (service/gateway_command).
// Trust: written by the CLI run by an administrator of this node; the gateway still checks each
// target as if it came from the API.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.hpp"
#include "util/result.hpp"

namespace pw::store {

enum class CommandKind { kFlush, kDelete, kRelease };

// Commands a gateway takes per look (one per reload); the rest wait for the next look. A bound
// on one look's work, the same for the queue's commands and the quarantine's.
constexpr int64_t kCommandsPerLook = 100;
std::string_view command_name(CommandKind kind);  // "flush", "delete", "release"

struct GatewayCommand {
  int64_t id = 0;
  CommandKind kind = CommandKind::kFlush;
  std::string target;  // a queue id ("" for every message of a flush) or a quarantine id
  std::string requested_by;
};

// A command's state: done (with its answer line) or still pending.
struct CommandState {
  bool done = false;
  std::string result;
};

class GatewayCommands {
 public:
  explicit GatewayCommands(Database& db) : db_(db) {}

  // Leaves a command for the gateway; returns its id.
  Result<int64_t> add(CommandKind kind, std::string_view target, std::string_view requested_by,
                      int64_t now);
  // nullopt when there is no command `id`.
  Result<std::optional<CommandState>> state(int64_t id);
  // The oldest pending commands of the given kinds, at most `limit`.
  Result<std::vector<GatewayCommand>> pending(const std::vector<CommandKind>& kinds, int64_t limit);
  Result<void> complete(int64_t id, int64_t at, std::string_view result);

 private:
  Database& db_;
};

}  // namespace pw::store
