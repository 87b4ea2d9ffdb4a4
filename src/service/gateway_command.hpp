// Asking the gateway of another process to do something only it can (issue 16, item 2): the CLI
// leaves the command in the one gateway_commands table and waits, with one wait, for the answer
// line the gateway writes back. Used by queue flush/delete and quarantine release.
// Trust: the CLI is run by an administrator of this node; the gateway checks every target anew.
#pragma once
#include <chrono>
#include <string>

#include "service/outcome.hpp"
#include "store/database.hpp"
#include "store/gateway_commands.hpp"

namespace pw::service {

// How long the CLI waits for the running gateway's answer. The gateway looks for commands at each
// reload ([server] reload_interval_ms, 1 s by default); the rest is room for a busy gateway. Not
// an operator tunable: when it passes, the command stays queued and is still carried out.
inline constexpr std::chrono::milliseconds kGatewayCommandWait{15000};

// Leaves `kind` on `target` for the running gateway and waits up to `wait` for its answer line.
// A refusal (kInternal) when it does not come in time; the command then stays queued.
Outcome<std::string> ask_running_gateway(store::Database& db, store::CommandKind kind,
                                         const std::string& target, const std::string& by,
                                         std::chrono::milliseconds wait);

}  // namespace pw::service
