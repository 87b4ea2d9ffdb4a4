// The node database's schema on PostgreSQL, as migrations numbered like SQLite's (see the .cpp).
#pragma once
#include <span>

#include "store/migrations.hpp"

namespace pw::store::postgres {

std::span<const Migration> migrations();

}  // namespace pw::store::postgres
