#include "api/api_context.hpp"

#include <map>

#include "store/node_database.hpp"

namespace pw::api {
namespace {

// Each worker thread keeps one connection per data dir for as long as the thread lives.
thread_local std::map<std::string, std::unique_ptr<store::Database>> t_connections;

}  // namespace

ApiContext::ApiContext(std::string data_dir, config::Config config)
    : data_dir_(std::move(data_dir)), config_(std::move(config)) {}

ApiContext::~ApiContext() = default;

Result<store::Database*> ApiContext::database() {
  auto& slot = t_connections[data_dir_];
  if (!slot) {
    auto db = store::open_node_database(data_dir_);
    if (!db) return tl::unexpected(db.error());
    slot = std::make_unique<store::Database>(std::move(*db));
  }
  return slot.get();
}

}  // namespace pw::api
