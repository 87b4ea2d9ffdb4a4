// The `gateway_commands` table (migration 16).
#include "store/gateway_commands.hpp"

#include <array>

#include "store/statement.hpp"

namespace pw::store {
namespace {

constexpr std::array kKinds = {CommandKind::kFlush, CommandKind::kDelete, CommandKind::kRelease};

std::optional<CommandKind> parse_kind(std::string_view name) {
  for (auto kind : kKinds)
    if (command_name(kind) == name) return kind;
  return std::nullopt;
}

}  // namespace

std::string_view command_name(CommandKind kind) {
  switch (kind) {
    case CommandKind::kFlush:
      return "flush";
    case CommandKind::kDelete:
      return "delete";
    case CommandKind::kRelease:
      return "release";
  }
  return "flush";
}

Result<int64_t> GatewayCommands::add(CommandKind kind, std::string_view target,
                                     std::string_view requested_by, int64_t now) {
  auto inserted = run(db_,
                      "INSERT INTO gateway_commands (command, target, requested_by, created_at) "
                      "VALUES (?1, ?2, ?3, ?4)",
                      {command_name(kind), target, requested_by, now});
  if (!inserted) return tl::unexpected(inserted.error());
  return last_insert_id(db_);
}

Result<std::optional<CommandState>> GatewayCommands::state(int64_t id) {
  auto stmt = query(db_, "SELECT done_at, result FROM gateway_commands WHERE id = ?1", {id});
  if (!stmt) return tl::unexpected(stmt.error());
  auto more = next_row(db_, stmt->get());
  if (!more) return tl::unexpected(more.error());
  if (!*more) return std::optional<CommandState>();
  return std::optional<CommandState>(
      CommandState{!column_is_null(stmt->get(), 0), column_text(stmt->get(), 1)});
}

Result<std::vector<GatewayCommand>> GatewayCommands::pending(const std::vector<CommandKind>& kinds,
                                                             int64_t limit) {
  // One parameter per kind: the statement text depends only on how many kinds are asked for.
  std::string sql =
      "SELECT id, command, target, requested_by FROM gateway_commands WHERE done_at IS NULL AND "
      "command IN (";
  std::vector<SqlValue> params;
  for (auto kind : kinds) {
    params.emplace_back(command_name(kind));
    sql += (params.size() > 1 ? ", ?" : "?") + std::to_string(params.size());
  }
  params.emplace_back(limit);
  sql += ") ORDER BY id LIMIT ?" + std::to_string(params.size());
  std::vector<GatewayCommand> out;
  auto read = for_each_row(db_, query(db_, sql, params), [&](const Row* row) {
    auto kind = parse_kind(column_text(row, 1));
    if (!kind) return;  // the table's CHECK admits no other name
    out.push_back({column_int(row, 0), *kind, column_text(row, 2), column_text(row, 3)});
  });
  if (!read) return tl::unexpected(read.error());
  return out;
}

Result<void> GatewayCommands::complete(int64_t id, int64_t at, std::string_view result) {
  auto r = run(db_, "UPDATE gateway_commands SET done_at = ?2, result = ?3 WHERE id = ?1",
               {id, at, result});
  if (!r) return tl::unexpected(r.error());
  return {};
}

}  // namespace pw::store
