// Where a node keeps its database: <data-dir>/postwarden.db, shared by `serve` and the CLI.
// Trust: the data directory path comes from the command line or the environment.
#pragma once
#include <string>
#include <string_view>

#include "store/database.hpp"
#include "util/result.hpp"

namespace pw::store {

constexpr std::string_view kDatabaseFileName = "postwarden.db";

// Creates the data directory (mode 0700: it holds password hashes and keys) when it is missing,
// then opens and migrates the database in it.
Result<Database> open_node_database(const std::string& data_dir);

}  // namespace pw::store
