// The schema of the node database as an ordered list of migrations; each is applied once, in its
// own transaction, and recorded in schema_migrations.
#pragma once
#include <span>
#include <string_view>

namespace pw::store {

struct Migration {
  int version;           // strictly increasing from 1; never renumbered once released
  std::string_view sql;  // one or more statements
};

std::span<const Migration> migrations();

}  // namespace pw::store
