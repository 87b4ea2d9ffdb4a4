// The CLI's side of the gateway_commands table: leave a command, poll for its answer.
#include "service/gateway_command.hpp"

#include <thread>

#include "store/statement.hpp"

namespace pw::service {
namespace {

// How often the CLI looks for the answer while it waits.
constexpr auto kAnswerPoll = std::chrono::milliseconds(100);

}  // namespace

Outcome<std::string> ask_running_gateway(store::Database& db, store::CommandKind kind,
                                         const std::string& target, const std::string& by,
                                         std::chrono::milliseconds wait) {
  store::GatewayCommands commands(db);
  auto id = commands.add(kind, target, by, store::unix_now());
  if (!id) return from_error(id.error(), Failure::Kind::kInternal);
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    auto state = commands.state(*id);
    if (!state) return from_error(state.error(), Failure::Kind::kInternal);
    if (*state && (*state)->done) return (*state)->result;
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(kAnswerPoll);
  }
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(wait).count();
  return refuse(Failure::Kind::kInternal,
                "the running gateway did not answer within " + std::to_string(seconds) +
                    " s; the " + std::string(store::command_name(kind)) + " stays queued for it");
}

}  // namespace pw::service
