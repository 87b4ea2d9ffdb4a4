// The SQLite backend of store::Connection: the embedded default, one file per node.
// Trust: the file may be shared with another postwarden process (serve and the CLI); WAL mode and
// a busy timeout make that safe.
#pragma once
#include <memory>
#include <string>

#include "store/sql_backend.hpp"
#include "util/result.hpp"

namespace pw::store::sqlite {

// Opens (creating when missing) the database file in WAL mode with foreign keys on. The schema is
// brought up to date by the caller (store::Database::open).
Result<std::unique_ptr<Connection>> open(const std::string& path);

}  // namespace pw::store::sqlite
