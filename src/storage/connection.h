// One SQL connection, SQLite or PostgreSQL, behind one small interface. The typed Store
// (store.h) is written once on top of it in SQL both engines accept.
//
// Contract:
// - Placeholders are `?` in every dialect; the PostgreSQL driver rewrites them to $1..$n
//   (a `?` inside a quoted literal is left alone).
// - Statements are prepared once per distinct SQL text and cached per connection.
// - A unique or primary-key violation returns ErrorKind::conflict with reason
//   "unique_violation"; a lost or unreachable server returns ErrorKind::unavailable;
//   anything else ErrorKind::internal. Messages never echo bound parameter values.
// - A Connection is used by one thread at a time; it is not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/assert.h"
#include "common/result.h"
#include "storage/sqlite/wal_limits.h"

namespace issuerd::storage {

enum class Dialect { sqlite, postgres };

// A bound parameter or a column value. Booleans are stored as 0/1 integers; binary data
// is stored as text (hex or Base64) so that one schema serves both engines.
using SqlValue = std::variant<std::nullptr_t, std::int64_t, std::string>;

class Row {
 public:
  explicit Row(std::vector<SqlValue> columns) : columns_(std::move(columns)) {}
  std::size_t size() const { return columns_.size(); }
  bool is_null(std::size_t i) const;
  // Integer column. A NULL or a text column is a bug in the caller's query (asserted);
  // a PostgreSQL BIGINT/INTEGER arrives as text and is converted.
  std::int64_t integer(std::size_t i) const;
  std::optional<std::int64_t> optional_integer(std::size_t i) const;
  // Text column (integers are formatted). NULL is a bug (asserted).
  std::string text(std::size_t i) const;
  std::optional<std::string> optional_text(std::size_t i) const;
  const SqlValue& at(std::size_t i) const;

 private:
  std::vector<SqlValue> columns_;
};

// One statement of a batch (Connection::execute_all); the parameters are not copied.
struct Statement {
  std::string sql;
  std::span<const SqlValue> params;
};

// Statements with the values they point into, for send_commit(), which may run them on
// another thread after the caller has moved on. Moving a vector keeps its elements where
// they are, so statements may point into vectors moved into `values` after they were made.
struct StatementBatch {
  std::vector<Statement> statements;
  std::vector<std::vector<SqlValue>> values;
};

class Connection {
 public:
  virtual ~Connection() = default;

  virtual Dialect dialect() const = 0;

  // Runs a script of one or more statements with no parameters (migrations, pragmas).
  virtual Status execute_script(std::string_view sql) = 0;

  // Runs one statement. Rows are returned for SELECT and for ... RETURNING.
  virtual Result<std::vector<Row>> query(std::string_view sql, std::span<const SqlValue> params) = 0;

  // Like query() but for statements whose rows are not wanted; returns rows affected.
  virtual Result<std::int64_t> execute(std::string_view sql, std::span<const SqlValue> params) = 0;

  // Runs the statements in order and stops at the first failure. PostgreSQL sends them all
  // before reading any answer (libpq's pipeline mode): one round trip, not one each.
  virtual Status execute_all(std::span<const Statement> statements) {
    for (const Statement& statement : statements) ISSUERD_TRY(execute(statement.sql, statement.params));
    return Status::success();
  }

  // Like execute_all, and returns the rows of statements[rows_of] (PostgreSQL: still one
  // round trip), e.g. a query between two SET LOCAL statements.
  virtual Result<std::vector<Row>> query_all(std::span<const Statement> statements, std::size_t rows_of) {
    ISSUERD_ASSERT(rows_of < statements.size());
    std::vector<Row> rows;
    for (std::size_t i = 0; i < statements.size(); ++i) {
      if (i != rows_of) {
        ISSUERD_TRY(execute(statements[i].sql, statements[i].params));
        continue;
      }
      ISSUERD_ASSIGN(rows, query(statements[i].sql, statements[i].params));
    }
    return rows;
  }

  // Transactions. begin() starts a write transaction (SQLite: BEGIN IMMEDIATE).
  virtual Status begin() = 0;
  virtual Status commit() = 0;
  virtual Status rollback() = 0;
  // Savepoints inside a transaction, so one command of a batch can fail alone.
  virtual Status savepoint(std::string_view name) = 0;
  virtual Status release_savepoint(std::string_view name) = 0;
  virtual Status rollback_to_savepoint(std::string_view name) = 0;

  // Runs `statements` in the open transaction and commits it. A driver that can
  // (commits_in_background(): PostgreSQL) sends them and the COMMIT in one pipeline and
  // returns at once; any later call on the connection first waits for their outcome.
  // Others run them and commit now. Either way the outcome comes from finish_commit(),
  // called exactly once after each send_commit(); after a failure the transaction is gone.
  virtual void send_commit(StatementBatch batch) {
    ISSUERD_ASSERT(!sent_outcome_.has_value());
    Status outcome = execute_all(batch.statements);
    if (outcome.ok()) outcome = commit();
    if (!outcome.ok()) (void)rollback();
    sent_outcome_ = std::move(outcome);
  }
  virtual Status finish_commit() {
    ISSUERD_ASSERT(sent_outcome_.has_value());
    Status outcome = std::move(*sent_outcome_);
    sent_outcome_.reset();
    return outcome;
  }
  virtual bool commits_in_background() const { return false; }
  // True while the commit last sent by send_commit() has not finished at the server. Never
  // waits: it reads what has arrived. Always false where send_commit() commits at once.
  virtual bool commit_in_flight() { return false; }

  // A second connection to the same database, for reads while a background commit is in
  // flight on this one. Only drivers that commit in the background provide one.
  virtual Result<std::unique_ptr<Connection>> open_another() {
    return make_error(ErrorKind::internal, "not_supported", "this driver opens no second connection");
  }

  // For the writer's connection: SQLite moves its WAL checkpoints to a thread of their own
  // (sqlite/wal_checkpointer.h), at `limits`; PostgreSQL has nothing to do.
  virtual Status offload_checkpoints(const WalLimits& /*limits*/) { return Status::success(); }

  // For the writer's connection: SQLite keeps up to `cache_bytes` of database pages in its
  // cache (its default is 2 MiB); PostgreSQL has nothing to do.
  virtual Status size_page_cache(std::int64_t /*cache_bytes*/) { return Status::success(); }

 private:
  std::optional<Status> sent_outcome_;  // send_commit's outcome, until finish_commit()
};

// Where a database lives: "sqlite:PATH" (the file and its folder are created if missing)
// or "postgresql://..." / "postgres://..." (any libpq connection URI).
struct DatabaseUrl {
  Dialect dialect = Dialect::sqlite;
  std::string location;  // a file path for SQLite, the full URI for PostgreSQL
};
Result<DatabaseUrl> parse_database_url(std::string_view url);

// Opens a connection. SQLite: WAL, synchronous=FULL, foreign_keys=ON, busy_timeout 5 s.
// PostgreSQL: synchronous_commit=on, client_encoding UTF8, TimeZone UTC.
Result<std::unique_ptr<Connection>> open_connection(const DatabaseUrl& url);

// The writer's page cache. Each authorization touches a page of its card's account and of
// the per-card and per-key indexes, thousands of pages in all; in SQLite's 2 MiB many were
// read from the file again (a pread each) batch after batch (docs/benchmarks.md).
constexpr std::int64_t writer_page_cache_bytes = 64 << 20;

// What the writer's connection needs beyond open_connection: its WAL checkpoints on a
// thread of their own at issuerd's limits, and a page cache of writer_page_cache_bytes.
Status prepare_writer_connection(Connection& connection);

// Helpers shared by the drivers.
namespace detail {
// True for a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]*, at most 63 bytes): savepoint
// names are spliced into SQL, so anything else is refused.
bool is_plain_identifier(std::string_view name);
// Replaces every text parameter value (4 bytes or longer) found in `message` with
// "<redacted>", as a last line of defence for engine messages that quote input.
std::string redact_parameters(std::string message, std::span<const SqlValue> params);
}  // namespace detail

}  // namespace issuerd::storage
