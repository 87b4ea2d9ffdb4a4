// Opening the database inside a node's data directory, creating the directory private (0700).
// Trust: the path comes from the command line or the environment; only the leaf is chmod-ed.
#include "store/node_database.hpp"

#include <filesystem>
#include <system_error>

namespace pw::store {

Result<Database> open_node_database(const std::string& data_dir) {
  if (data_dir.empty()) {
    return fail("no data directory: pass --data-dir DIR or set POSTWARDEN_DATA_DIR");
  }
  namespace fs = std::filesystem;
  std::error_code error;
  fs::path dir(data_dir);
  if (!fs::exists(dir, error)) {
    fs::create_directories(dir, error);
    if (!error) fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, error);
    if (error) return fail("cannot create data directory " + data_dir + ": " + error.message());
  } else if (!fs::is_directory(dir, error)) {
    return fail("data directory " + data_dir + " is not a directory");
  }
  return Database::open((dir / kDatabaseFileName).string());
}

}  // namespace pw::store
