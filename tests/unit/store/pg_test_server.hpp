// The throwaway PostgreSQL server ctest starts for the unit tests (tests/support/pg_temp.sh, the
// "postgres" fixture in CMakeLists.txt), and a schema of its own for each test, dropped after it,
// so that tests running at once in separate processes never see each other's tables.
#pragma once
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

#include "store/postgres/pg_connection.hpp"

namespace pw::test {

// The server's URL; throws with the command to run when ctest did not start it.
inline std::string postgres_url() {
  std::ifstream file(std::string(PW_TEST_POSTGRES_STATE) + "/url");
  std::string url;
  if (!std::getline(file, url) || url.empty())
    throw std::runtime_error(std::string("no test PostgreSQL: run the tests with ctest, or "
                                         "tests/support/pg_temp.sh start ") +
                             PW_TEST_POSTGRES_STATE);
  return url;
}

// A connection whose search_path is a new schema, dropped with the object.
class PostgresSchema {
 public:
  PostgresSchema() {
    static std::atomic<int> counter{0};
    name_ = "t" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    auto connection = store::postgres::open(postgres_url());
    if (!connection) throw std::runtime_error(connection.error().message);
    connection_ = std::move(*connection);
    if (!connection_->exec("CREATE SCHEMA " + name_ + "; SET search_path TO " + name_))
      throw std::runtime_error("cannot make the test schema " + name_);
  }
  ~PostgresSchema() { (void)connection_->exec("DROP SCHEMA " + name_ + " CASCADE"); }
  PostgresSchema(const PostgresSchema&) = delete;
  PostgresSchema& operator=(const PostgresSchema&) = delete;

  store::Connection& connection() { return *connection_; }
  const std::string& name() const { return name_; }
  // A URL whose connections work in this schema (for store::Database::open).
  std::string url() const { return postgres_url() + "&options=-csearch_path%3D" + name_; }

 private:
  std::string name_;
  std::unique_ptr<store::Connection> connection_;
};

}  // namespace pw::test
