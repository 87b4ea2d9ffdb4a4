// A node database for a store test on either engine (issue 18: the store's unit tests run against
// both backends): an SQLite file in a fresh temporary directory, or a schema of its own on the
// PostgreSQL server ctest starts (pg_test_server.hpp). A test fixture becomes
// testing::TestWithParam<const char*> and is instantiated with test::kEngines.
#pragma once
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "pg_test_server.hpp"
#include "store/database.hpp"
#include "store/statement.hpp"
#include "temp_dir.hpp"

namespace pw::test {

class EngineDatabase {
 public:
  explicit EngineDatabase(std::string_view engine) {
    if (engine == "postgresql") {
      schema_ = std::make_unique<PostgresSchema>();
      location_ = schema_->url();
    } else {
      dir_ = std::make_unique<TempDir>();
      location_ = dir_->file("postwarden.db");
    }
  }
  // Opened, or the test's process stops with the reason (a fixture member cannot ASSERT).
  store::Database open() const {
    auto db = store::Database::open(location_);
    if (!db) throw std::runtime_error(db.error().message);
    return std::move(*db);
  }
  const std::string& location() const { return location_; }

 private:
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<PostgresSchema> schema_;  // dropped after every connection made from it
  std::string location_;
};

// The first column of the first row of `sql`, as an integer (the test fails without a row).
inline int64_t scalar(store::Database& db, std::string_view sql) {
  auto stmt = store::query(db, sql).value();
  EXPECT_TRUE(store::next_row(db, stmt.get()).value()) << sql;
  return store::column_int(stmt.get(), 0);
}

inline const auto kEngines = ::testing::Values("sqlite", "postgresql");

// The engine's name as the test's suffix: .../sqlite, .../postgresql.
struct EngineName {
  std::string operator()(const ::testing::TestParamInfo<const char*>& info) const {
    return info.param;
  }
};

}  // namespace pw::test
