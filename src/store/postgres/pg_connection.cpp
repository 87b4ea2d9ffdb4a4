// PostgreSQL behind store::Connection (see the header): one libpq connection, statements run with
// PQexecParams in text format, or prepared once per connection and SQL text when they are reused.
#include "store/postgres/pg_connection.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <unordered_map>
#include <vector>

namespace pw::store::postgres {
namespace {

// Prepared statements per connection, by SQL text. The SQL the store sends is a fixed set of
// strings (a few hundred), so the map stays small; past the bound, statements run unprepared.
constexpr std::size_t kMaxPreparedStatements = 512;

struct ResultCloser {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultCloser>;

struct ConnCloser {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};

std::string one_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (auto& c : text)
    if (c == '\n') c = ' ';
  return text;
}

// What a connection's statements share with it: the handle, the rows changed by the last
// finished statement, and the names of the statements prepared so far.
struct Session {
  std::unique_ptr<PGconn, ConnCloser> conn;
  int64_t changes = 0;
  std::unordered_map<std::string, std::string> prepared;  // SQL text ($N) -> statement name

  std::string error(std::string_view what) const {
    return std::string(what) + ": " + one_line(PQerrorMessage(conn.get()));
  }
};

// A result is good when it is one of `ok`; otherwise its error, one line.
Result<ResultPtr> checked(Session& session, PGresult* raw) {
  ResultPtr result(raw);
  if (!result) return fail(session.error("database error"));
  const ExecStatusType status = PQresultStatus(result.get());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  return fail("database error: " + one_line(PQresultErrorMessage(result.get())));
}

class PgStatement final : public Statement {
 public:
  PgStatement(std::shared_ptr<Session> session, std::string sql, std::string name)
      : session_(std::move(session)), sql_(std::move(sql)), name_(std::move(name)) {}

  Result<void> bind(int index, const SqlValue& value) override {
    if (index < 1 || index > kMaxParameters) return fail("database error: parameter out of range");
    if (static_cast<std::size_t>(index) > values_.size()) values_.resize(index);
    if (std::holds_alternative<std::nullptr_t>(value))
      values_[index - 1].reset();
    else if (const auto* number = std::get_if<int64_t>(&value))
      values_[index - 1] = std::to_string(*number);
    else
      values_[index - 1] = std::string(std::get<std::string_view>(value));
    return {};
  }

  Result<bool> step() override {
    if (!result_) {
      auto ran = run();
      if (!ran) return tl::unexpected(ran.error());
      result_ = std::move(*ran);
      row_ = -1;
      const char* tuples = PQcmdTuples(result_.get());
      int64_t changed = 0;
      if (tuples && *tuples) std::from_chars(tuples, tuples + std::strlen(tuples), changed);
      session_->changes = changed;
    }
    ++row_;
    return row_ < PQntuples(result_.get());
  }

  int64_t column_int(int column) const override {
    const char* text = value(column);
    if (text == nullptr) return 0;
    if (text[0] == 't' && text[1] == '\0') return 1;  // a boolean column
    if (text[0] == 'f' && text[1] == '\0') return 0;
    int64_t number = 0;
    const auto [end, ec] = std::from_chars(text, text + std::strlen(text), number);
    if (ec == std::errc() && *end == '\0') return number;
    return static_cast<int64_t>(std::strtod(text, nullptr));  // 2.0 from a numeric expression
  }
  double column_double(int column) const override {
    const char* text = value(column);
    return text == nullptr ? 0.0 : std::strtod(text, nullptr);
  }
  std::string column_text(int column) const override {
    const char* text = value(column);
    if (text == nullptr) return {};
    return {text, static_cast<std::size_t>(PQgetlength(result_.get(), row_, column))};
  }
  bool column_is_null(int column) const override { return value(column) == nullptr; }

 private:
  static constexpr int kMaxParameters = 65535;  // PostgreSQL's own bound

  const char* value(int column) const {
    if (!result_ || row_ < 0 || row_ >= PQntuples(result_.get()) || column < 0 ||
        column >= PQnfields(result_.get()) || PQgetisnull(result_.get(), row_, column))
      return nullptr;
    return PQgetvalue(result_.get(), row_, column);
  }

  Result<ResultPtr> run() {
    std::vector<const char*> params;
    params.reserve(values_.size());
    for (const auto& v : values_) params.push_back(v ? v->c_str() : nullptr);
    const int count = static_cast<int>(params.size());
    PGconn* conn = session_->conn.get();
    if (name_.empty())
      return checked(*session_, PQexecParams(conn, sql_.c_str(), count, nullptr, params.data(),
                                             nullptr, nullptr, 0));
    return checked(*session_,
                   PQexecPrepared(conn, name_.c_str(), count, params.data(), nullptr, nullptr, 0));
  }

  std::shared_ptr<Session> session_;
  std::string sql_;
  std::string name_;  // "" : run unprepared
  std::vector<std::optional<std::string>> values_;
  ResultPtr result_;
  int row_ = -1;
};

class PgConnection final : public Connection {
 public:
  explicit PgConnection(std::shared_ptr<Session> session) : session_(std::move(session)) {}

  Result<void> exec(std::string_view sql) override {
    const std::string text(sql);
    auto result = checked(*session_, PQexec(session_->conn.get(), text.c_str()));
    if (!result) return tl::unexpected(result.error());
    return {};
  }

  Result<StatementPtr> prepare(std::string_view sql, bool reuse) override {
    auto text = numbered_parameters(sql);
    if (!text) return tl::unexpected(text.error());
    std::string name;
    if (reuse) {
      auto it = session_->prepared.find(*text);
      if (it != session_->prepared.end()) {
        name = it->second;
      } else if (session_->prepared.size() < kMaxPreparedStatements) {
        name = "pw" + std::to_string(session_->prepared.size() + 1);
        auto made = checked(
            *session_, PQprepare(session_->conn.get(), name.c_str(), text->c_str(), 0, nullptr));
        if (!made) return tl::unexpected(made.error());
        session_->prepared.emplace(*text, name);
      }
    }
    return std::make_unique<PgStatement>(session_, std::move(*text), std::move(name));
  }

  int64_t changes() override { return session_->changes; }

  // The key of the last row an INSERT made with a serial or identity column in this session.
  int64_t last_insert_id() override {
    ResultPtr result(PQexec(session_->conn.get(), "SELECT lastval()"));
    if (!result || PQresultStatus(result.get()) != PGRES_TUPLES_OK || PQntuples(result.get()) != 1)
      return 0;
    return std::strtoll(PQgetvalue(result.get(), 0, 0), nullptr, 10);
  }

  Result<void> begin_transaction() override { return exec("BEGIN"); }
  std::string_view engine() const override { return "postgresql"; }
  // A transaction-scoped advisory lock, the same key on every node ("pwschema").
  Result<void> lock_schema() override { return exec("SELECT pg_advisory_xact_lock(7383928)"); }

 private:
  std::shared_ptr<Session> session_;
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Result<std::string> numbered_parameters(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {  // a literal or an identifier: up to its closing quote
      const std::size_t end = sql.find(c, i + 1);
      const std::size_t stop = end == std::string_view::npos ? sql.size() : end + 1;
      out.append(sql.substr(i, stop - i));
      i = stop - 1;  // a doubled quote ('') closes and reopens: the same text either way
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      const std::size_t end = sql.find('\n', i);
      const std::size_t stop = end == std::string_view::npos ? sql.size() : end;
      out.append(sql.substr(i, stop - i));
      i = stop - 1;
    } else if (c == '?') {
      if (i + 1 >= sql.size() || !is_digit(sql[i + 1]))
        return fail("database error: a parameter without its number in: " + std::string(sql));
      out.push_back('$');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<std::unique_ptr<Connection>> open(const std::string& url) {
  auto session = std::make_shared<Session>();
  session->conn.reset(PQconnectdb(url.c_str()));
  if (!session->conn) return fail("cannot connect to PostgreSQL: out of memory");
  if (PQstatus(session->conn.get()) != CONNECTION_OK)
    return fail(session->error("cannot connect to PostgreSQL"));
  auto connection = std::make_unique<PgConnection>(session);
  // Warnings (NOTICE) are not errors; the store has no use for them on stderr.
  PQsetNoticeProcessor(
      session->conn.get(), [](void*, const char*) {}, nullptr);
  if (auto r = connection->exec("SET client_min_messages = warning"); !r)
    return tl::unexpected(r.error());
  return std::unique_ptr<Connection>(std::move(connection));
}

}  // namespace pw::store::postgres
