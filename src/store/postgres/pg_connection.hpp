// The PostgreSQL backend of store::Connection (issue 18: the shared database of a cluster),
// through libpq. Statements are written once for both engines with SQLite's numbered parameters
// (?1, ?2, ...); this backend rewrites them to PostgreSQL's ($1, $2, ...) outside quoted text.
// Values travel as text and rows come back as text, which column_int/column_double parse, as
// SQLite converts them. Trust: the URL comes from the administrator; every value is a bound
// parameter, never part of the SQL.
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "store/sql_backend.hpp"
#include "util/result.hpp"

namespace pw::store::postgres {

// Connects to `url` (a libpq connection URI, postgresql://...). The schema is brought up to date
// by the caller.
Result<std::unique_ptr<Connection>> open(const std::string& url);

// `sql` with ?N written as $N outside '...' literals, "..." identifiers and -- comments; a '?'
// without digits is refused (the store always numbers its parameters).
Result<std::string> numbered_parameters(std::string_view sql);

}  // namespace pw::store::postgres
