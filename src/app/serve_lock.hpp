// The lock a running `serve` holds on its data dir: one gateway per data dir, and a way for admin
// commands to know whether a gateway is there to carry out queue commands.
#pragma once
#include <string>

#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace pw::app {

// Takes <data-dir>/serve.lock (flock, exclusive); an error when another serve holds it.
Result<util::UniqueFd> acquire_serve_lock(const std::string& data_dir);
bool serve_is_running(const std::string& data_dir);

}  // namespace pw::app
