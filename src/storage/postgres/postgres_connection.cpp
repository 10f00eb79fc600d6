#include "storage/postgres/postgres_connection.h"

#include <libpq-fe.h>

#include <charconv>
#include <cstring>
#include <optional>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

namespace issuerd::storage {

namespace postgres_detail {

namespace {

bool is_identifier_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$' || static_cast<unsigned char>(c) >= 0x80;
}

bool is_tag_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// The end (one past) of the quoted run starting at `start` (the opening quote).
std::size_t skip_quoted(std::string_view sql, std::size_t start, char quote, bool backslash_escapes) {
  std::size_t i = start + 1;
  while (i < sql.size()) {
    const char c = sql[i];
    if (backslash_escapes && c == '\\') {
      i += 2;
      continue;
    }
    if (c == quote) {
      if (i + 1 < sql.size() && sql[i + 1] == quote) {
        i += 2;  // doubled quote
        continue;
      }
      return i + 1;
    }
    ++i;
  }
  return sql.size();  // unterminated: the server reports it
}

}  // namespace

RewrittenSql rewrite_placeholders(std::string_view sql) {
  RewrittenSql out;
  out.sql.reserve(sql.size() + 16);
  std::size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    std::size_t end = i + 1;  // one past the run copied verbatim
    if (c == '\'') {
      // E'...' strings take backslash escapes; 'E' must not end a longer identifier.
      const bool escape_string = i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') &&
                                 (i < 2 || !is_identifier_char(sql[i - 2]));
      end = skip_quoted(sql, i, '\'', escape_string);
    } else if (c == '"') {
      end = skip_quoted(sql, i, '"', false);
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      const std::size_t newline = sql.find('\n', i);
      end = newline == std::string_view::npos ? sql.size() : newline + 1;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      int depth = 1;  // PostgreSQL block comments nest
      end = i + 2;
      while (end < sql.size() && depth > 0) {
        if (sql[end] == '/' && end + 1 < sql.size() && sql[end + 1] == '*') {
          ++depth;
          end += 2;
        } else if (sql[end] == '*' && end + 1 < sql.size() && sql[end + 1] == '/') {
          --depth;
          end += 2;
        } else {
          ++end;
        }
      }
    } else if (c == '$' && (i == 0 || !is_identifier_char(sql[i - 1]))) {
      // $tag$ ... $tag$ (or $$ ... $$); `$1` and the like are copied as they are.
      std::size_t j = i + 1;
      if (j < sql.size() && is_tag_start(sql[j])) {
        while (j < sql.size() && is_identifier_char(sql[j]) && sql[j] != '$') ++j;
      }
      if (j < sql.size() && sql[j] == '$') {
        const std::string_view tag = sql.substr(i, j - i + 1);
        const std::size_t close = sql.find(tag, j + 1);
        end = close == std::string_view::npos ? sql.size() : close + tag.size();
      }
    } else if (c == '?') {
      ++out.parameters;
      out.sql += '$';
      out.sql += std::to_string(out.parameters);
      i = end;
      continue;
    }
    out.sql.append(sql.substr(i, end - i));
    i = end;
  }
  return out;
}

}  // namespace postgres_detail

namespace {

constexpr unsigned int kInt8Oid = 20;
constexpr unsigned int kInt2Oid = 21;
constexpr unsigned int kInt4Oid = 23;

struct PgResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;

std::string trimmed(const char* text) {
  std::string out = text != nullptr ? text : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

void ignore_notice(void*, const char*) {}

class PostgresConnection final : public Connection {
 public:
  PostgresConnection(PGconn* conn, std::string uri) : conn_(conn), uri_(std::move(uri)) {}
  ~PostgresConnection() override { PQfinish(conn_); }
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;

  Dialect dialect() const override { return Dialect::postgres; }

  // Session settings, applied on connect and after a reconnect. Statements are prepared
  // once per connection, and PostgreSQL would after five runs switch to a generic plan made
  // while the tables were small (a sequential scan, measured at 13 ms a lookup once the
  // idempotency keys had grown): plans are made for each run's values and table size.
  Status setup_session() {
    PQsetNoticeProcessor(conn_, ignore_notice, nullptr);
    ISSUERD_TRY(exec_text(
        "SET synchronous_commit = on; SET client_encoding = 'UTF8'; SET TimeZone = 'UTC'; "
        "SET plan_cache_mode = force_custom_plan",
        "session setup"));
    return Status::success();
  }

  Status execute_script(std::string_view sql) override {
    ISSUERD_TRY(ready());
    ISSUERD_TRY(exec_text(std::string(sql), "script"));
    return Status::success();
  }

  Result<std::vector<Row>> query(std::string_view sql, std::span<const SqlValue> params) override {
    ISSUERD_ASSIGN(PgResultPtr result, run(sql, params));
    return rows_from(result.get());
  }

  Result<std::int64_t> execute(std::string_view sql, std::span<const SqlValue> params) override {
    ISSUERD_ASSIGN(PgResultPtr result, run(sql, params));
    return affected_rows(result.get());
  }

  Status execute_all(std::span<const Statement> statements) override {
    if (statements.size() < 2) return Connection::execute_all(statements);
    ISSUERD_TRY(pipeline(statements, statements.size()));
    return Status::success();
  }

  Result<std::vector<Row>> query_all(std::span<const Statement> statements, std::size_t rows_of) override {
    ISSUERD_ASSERT(rows_of < statements.size());
    ISSUERD_ASSIGN(PgResultPtr result, pipeline(statements, rows_of));
    return rows_from(result.get());
  }

  // BEGIN goes out with the transaction's first statement (or its send_commit), not in a
  // round trip of its own; and begin() does not wait for a background commit, so that the
  // writer applies its next batch meanwhile.
  Status begin() override {
    if (!in_flight_) ISSUERD_TRY(ensure_connected());
    begin_pending_ = true;
    in_transaction_ = true;
    return Status::success();
  }

  Status commit() override {
    drain();
    in_transaction_ = false;
    if (std::exchange(begin_pending_, false)) return Status::success();  // nothing ran
    if (PQstatus(conn_) != CONNECTION_OK) {
      return make_error(ErrorKind::unavailable, "database_unavailable",
                        "postgres: the connection was lost; the transaction's outcome is unknown");
    }
    ISSUERD_ASSIGN(PgResultPtr result, exec_text("COMMIT", "COMMIT"));
    return committed(result.get());
  }

  Status rollback() override {
    drain();
    in_transaction_ = false;
    if (std::exchange(begin_pending_, false)) return Status::success();
    // On a lost connection the server has already discarded the transaction.
    if (PQstatus(conn_) != CONNECTION_OK) return Status::success();
    ISSUERD_TRY(exec_text("ROLLBACK", "ROLLBACK"));
    return Status::success();
  }

  // libpq copies the parameters as it sends: the batch may go when this returns.
  void send_commit(StatementBatch batch) override {
    ISSUERD_ASSERT(!in_flight_ && !drained_outcome_);
    std::vector<Statement> all;
    all.reserve(batch.statements.size() + 2);
    if (std::exchange(begin_pending_, false)) all.push_back(Statement{"BEGIN", {}});
    all.insert(all.end(), batch.statements.begin(), batch.statements.end());
    all.push_back(Statement{"COMMIT", {}});
    in_transaction_ = false;
    Result<std::size_t> sent = send_pipeline(all);
    if (!sent.ok()) {
      drained_outcome_ = Status(sent.take_error());
      roll_back_if_open();
      return;
    }
    in_flight_.emplace(*sent, all.size(), all.size() - 1);  // COMMIT's result is kept
  }

  // Reads what has arrived of the background commit's results, without waiting.
  bool commit_in_flight() override {
    if (!in_flight_) return false;
    // A broken connection: drain() reads what is left and reports it.
    if (PQconsumeInput(conn_) == 0) return false;
    while (PQisBusy(conn_) == 0) {
      if (read_one(*in_flight_, {})) {
        finish_reading_in_flight();
        return false;
      }
    }
    return true;
  }

  Status finish_commit() override {
    drain();
    ISSUERD_ASSERT(drained_outcome_.has_value());
    Status outcome = std::move(*drained_outcome_);
    drained_outcome_.reset();
    return outcome;
  }

  bool commits_in_background() const override { return true; }

  Result<std::unique_ptr<Connection>> open_another() override { return open_postgres_connection(uri_); }

  Status savepoint(std::string_view name) override {
    return savepoint_command("SAVEPOINT ", name);
  }
  Status release_savepoint(std::string_view name) override {
    return savepoint_command("RELEASE SAVEPOINT ", name);
  }
  Status rollback_to_savepoint(std::string_view name) override {
    return savepoint_command("ROLLBACK TO SAVEPOINT ", name);
  }

 private:
  struct Prepared {
    std::string name;
    std::size_t parameters = 0;
  };

  // A result's rows; integer columns become numbers, the rest text.
  static std::vector<Row> rows_from(const PGresult* result) {
    const int row_count = PQntuples(result);
    const int column_count = PQnfields(result);
    std::vector<Row> rows;
    rows.reserve(static_cast<std::size_t>(row_count));
    std::vector<bool> integer_column(static_cast<std::size_t>(column_count));
    for (int c = 0; c < column_count; ++c) {
      const Oid type = PQftype(result, c);
      integer_column[static_cast<std::size_t>(c)] = type == kInt8Oid || type == kInt4Oid || type == kInt2Oid;
    }
    for (int r = 0; r < row_count; ++r) {
      std::vector<SqlValue> columns;
      columns.reserve(static_cast<std::size_t>(column_count));
      for (int c = 0; c < column_count; ++c) {
        if (PQgetisnull(result, r, c) != 0) {
          columns.emplace_back(nullptr);
          continue;
        }
        const char* value = PQgetvalue(result, r, c);
        const std::size_t length = static_cast<std::size_t>(PQgetlength(result, r, c));
        if (integer_column[static_cast<std::size_t>(c)]) {
          std::int64_t number = 0;
          auto [ptr, ec] = std::from_chars(value, value + length, number);
          if (ec == std::errc() && ptr == value + length) {
            columns.emplace_back(number);
            continue;
          }
        }
        columns.emplace_back(std::string(value, length));
      }
      rows.emplace_back(std::move(columns));
    }
    return rows;
  }

  // Sends every statement before reading any answer (libpq's pipeline mode) and stops at
  // the first failure. Returns the result of statements[kept] (none when kept is past the end).
  Result<PgResultPtr> pipeline(std::span<const Statement> statements, std::size_t kept) {
    ISSUERD_TRY(ready());
    ISSUERD_ASSIGN(std::size_t sent, send_pipeline(statements));
    return read_pipeline(sent, statements.size(), kept, statements);
  }

  // Prepares what is not prepared yet, then sends the statements and a sync without
  // reading. Returns how many went out (all, unless the connection failed), each owing one
  // result; on a failure before any was sent, nothing is owed.
  Result<std::size_t> send_pipeline(std::span<const Statement> statements) {
    ISSUERD_TRY(ensure_connected());
    std::vector<const Prepared*> prepared;
    std::vector<TextParams> texts;
    for (const Statement& statement : statements) {  // prepared first: PQprepare waits for its answer
      ISSUERD_ASSIGN(const Prepared* one, prepare(statement.sql));
      ISSUERD_ASSIGN(TextParams text, text_params(*one, statement.params));
      prepared.push_back(one);
      texts.push_back(std::move(text));
    }
    if (PQenterPipelineMode(conn_) != 1) return pg_error(nullptr, "pipeline", {});
    std::size_t sent = 0;
    for (; sent < statements.size(); ++sent) {
      if (PQsendQueryPrepared(conn_, prepared[sent]->name.c_str(), static_cast<int>(statements[sent].params.size()),
                              texts[sent].values.data(), nullptr, nullptr, 0) != 1) {
        break;
      }
    }
    (void)PQpipelineSync(conn_);
    return sent;
  }

  // Where the reading of a pipeline's results stands: each statement's result and the null
  // that ends it, then the sync. The first failure is the outcome (the statements after it
  // come back ABORTED).
  struct PipelineReading {
    PipelineReading(std::size_t sent_count, std::size_t total_count, std::size_t kept_index)
        : sent(sent_count), total(total_count), kept(kept_index) {}
    std::size_t sent;            // statements sent, each owing a result
    std::size_t total;           // statements meant to be sent
    std::size_t kept;            // the statement whose result is kept
    std::size_t next = 0;        // the statement whose result comes next
    bool ending_result = false;  // the null that ends statement next - 1's results comes next
    Status outcome = Status::success();
    PgResultPtr kept_result;
  };

  // Reads one result (waiting for it when it has not arrived); true once the sync is read
  // and pipeline mode left. `statements` (empty once they are gone) only serve to redact
  // error messages.
  bool read_one(PipelineReading& reading, std::span<const Statement> statements) {
    if (std::exchange(reading.ending_result, false)) {
      PQclear(PQgetResult(conn_));
      return false;
    }
    if (reading.next < reading.sent) {
      const std::size_t i = reading.next++;
      PGresult* raw = PQgetResult(conn_);
      const bool aborted = raw != nullptr && PQresultStatus(raw) == PGRES_PIPELINE_ABORTED;
      reading.ending_result = raw != nullptr;
      const std::span<const SqlValue> params = i < statements.size() ? statements[i].params : std::span<const SqlValue>();
      Result<PgResultPtr> checked = check(raw, "query", params);
      if (!checked.ok() && !aborted && reading.outcome.ok()) reading.outcome = checked.take_error();
      if (checked.ok() && i == reading.kept) reading.kept_result = std::move(checked).value();
      return false;
    }
    PgResultPtr sync(PQgetResult(conn_));
    (void)PQexitPipelineMode(conn_);
    if (reading.outcome.ok() && reading.sent < reading.total) reading.outcome = pg_error(nullptr, "pipeline", {});
    return true;
  }

  // Reads the results of `sent` statements of `total` and the sync, and leaves pipeline mode.
  Result<PgResultPtr> read_pipeline(std::size_t sent, std::size_t total, std::size_t kept,
                                    std::span<const Statement> statements) {
    PipelineReading reading(sent, total, kept);
    while (!read_one(reading, statements)) {
    }
    if (!reading.outcome.ok()) return reading.outcome.take_error();
    return std::move(reading.kept_result);
  }

  // Waits for a background commit's results; its outcome waits for finish_commit().
  void drain() {
    if (!in_flight_) return;
    while (!read_one(*in_flight_, {})) {
    }
    finish_reading_in_flight();
  }

  // The background commit's results are all read: its outcome is kept for finish_commit().
  void finish_reading_in_flight() {
    PipelineReading reading = std::move(*in_flight_);
    in_flight_.reset();
    Status outcome = reading.outcome.ok() ? committed(reading.kept_result.get()) : std::move(reading.outcome);
    if (!outcome.ok()) roll_back_if_open();
    drained_outcome_ = std::move(outcome);
  }

  // A COMMIT's successful result: that of a transaction that had failed has the tag ROLLBACK.
  static Status committed(const PGresult* result) {
    if (result == nullptr || std::strcmp(PQcmdStatus(const_cast<PGresult*>(result)), "ROLLBACK") == 0) {
      return make_error(ErrorKind::internal, "transaction_aborted",
                        "postgres: COMMIT rolled back a transaction in which a statement had failed");
    }
    return Status::success();
  }

  // After a failed pipeline the server may still be in the aborted transaction.
  void roll_back_if_open() {
    if (PQstatus(conn_) != CONNECTION_OK || PQtransactionStatus(conn_) == PQTRANS_IDLE) return;
    (void)exec_text("ROLLBACK", "ROLLBACK");
  }

  // Before any statement of the caller's: the background commit's results are read, and a
  // pending BEGIN goes out.
  Status ready() {
    drain();
    ISSUERD_TRY(ensure_connected());
    if (std::exchange(begin_pending_, false)) ISSUERD_TRY(exec_text("BEGIN", "BEGIN"));
    return Status::success();
  }

  Status savepoint_command(const char* command, std::string_view name) {
    if (!detail::is_plain_identifier(name)) {
      return make_error(ErrorKind::internal, "invalid_savepoint_name",
                        "savepoint names must be plain SQL identifiers");
    }
    ISSUERD_TRY(ready());
    const std::string sql = command + std::string(name);
    ISSUERD_TRY(exec_text(sql, sql));
    return Status::success();
  }

  static std::int64_t affected_rows(const PGresult* result) {
    const char* tuples = PQcmdTuples(const_cast<PGresult*>(result));
    std::int64_t count = 0;
    if (tuples == nullptr || *tuples == '\0') return 0;
    std::from_chars(tuples, tuples + std::strlen(tuples), count);
    return count;
  }

  // Reconnects a lost connection, but never inside a transaction: the caller must roll
  // back first, or its later statements would silently run outside the transaction.
  Status ensure_connected() {
    if (PQstatus(conn_) == CONNECTION_OK) return Status::success();
    if (in_transaction_) {
      return make_error(ErrorKind::unavailable, "database_unavailable",
                        "postgres: the connection was lost during a transaction");
    }
    PQreset(conn_);
    statements_.clear();  // server-side prepared statements died with the old session
    if (PQstatus(conn_) != CONNECTION_OK) {
      return make_error(ErrorKind::unavailable, "database_unavailable",
                        "postgres: reconnect failed: " + trimmed(PQerrorMessage(conn_)));
    }
    return setup_session();
  }

  Error pg_error(const PGresult* result, std::string_view action,
                 std::span<const SqlValue> params = {}) const {
    const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    const std::string sqlstate = state != nullptr ? state : "";
    const char* primary =
        result != nullptr ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    std::string text = primary != nullptr ? trimmed(primary) : trimmed(PQerrorMessage(conn_));
    // Data exceptions (class 22) may quote the offending input ("invalid input syntax for
    // type bigint: \"...\""): keep only the SQLSTATE then. DETAIL is never used (it holds
    // key values).
    if (sqlstate.rfind("22", 0) == 0 && text.find('"') != std::string::npos) {
      text = "data exception";
    }
    std::string message = "postgres: " + std::string(action) + ": " + text;
    if (!sqlstate.empty()) message += " (SQLSTATE " + sqlstate + ")";
    message = detail::redact_parameters(std::move(message), params);

    const bool connection_lost = PQstatus(conn_) != CONNECTION_OK;
    if (connection_lost || sqlstate.rfind("08", 0) == 0 || sqlstate == "57P01" ||
        sqlstate == "57P02" || sqlstate == "57P03" || sqlstate == "53300") {
      return make_error(ErrorKind::unavailable, "database_unavailable", std::move(message));
    }
    if (sqlstate == "23505") return make_error(ErrorKind::conflict, "unique_violation", std::move(message));
    if (sqlstate == "23503") {
      return make_error(ErrorKind::internal, "foreign_key_violation", std::move(message));
    }
    if (sqlstate == "23502") return make_error(ErrorKind::internal, "not_null_violation", std::move(message));
    if (sqlstate == "23514") return make_error(ErrorKind::internal, "check_violation", std::move(message));
    return make_error(ErrorKind::internal, "database_error", std::move(message));
  }

  // Checks a result; returns it when it succeeded.
  Result<PgResultPtr> check(PGresult* raw, std::string_view action, std::span<const SqlValue> params) {
    PgResultPtr result(raw);
    const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
    if (status == PGRES_EMPTY_QUERY) {
      return make_error(ErrorKind::internal, "database_error", "postgres: empty statement");
    }
    return pg_error(result.get(), action, params);
  }

  Result<PgResultPtr> exec_text(const std::string& sql, std::string_view action) {
    return check(PQexec(conn_, sql.c_str()), action, {});
  }

  Result<const Prepared*> prepare(std::string_view sql) {
    std::string key(sql);
    if (auto found = statements_.find(key); found != statements_.end()) return &found->second;
    postgres_detail::RewrittenSql rewritten = postgres_detail::rewrite_placeholders(sql);
    Prepared prepared{"s" + std::to_string(++statement_counter_), rewritten.parameters};
    ISSUERD_TRY(check(PQprepare(conn_, prepared.name.c_str(), rewritten.sql.c_str(), 0, nullptr),
                      "prepare", {}));
    auto [slot, inserted] = statements_.emplace(std::move(key), std::move(prepared));
    return &slot->second;
  }

  // Parameters as libpq takes them: text, with NULL for null. Refuses text holding NUL.
  struct TextParams {
    std::vector<std::string> numbers;
    std::vector<const char*> values;
  };

  Result<TextParams> text_params(const Prepared& prepared, std::span<const SqlValue> params) {
    if (prepared.parameters != params.size()) {
      return make_error(ErrorKind::internal, "database_error",
                        "postgres: statement expects " + std::to_string(prepared.parameters) +
                            " parameters, got " + std::to_string(params.size()));
    }
    TextParams text{std::vector<std::string>(params.size()), std::vector<const char*>(params.size(), nullptr)};
    for (std::size_t i = 0; i < params.size(); ++i) {
      if (const auto* number = std::get_if<std::int64_t>(&params[i])) {
        text.numbers[i] = std::to_string(*number);
        text.values[i] = text.numbers[i].c_str();
      } else if (const auto* value = std::get_if<std::string>(&params[i])) {
        if (value->find('\0') != std::string::npos) {
          // PostgreSQL text cannot hold NUL; SQLite simply finds nothing. Either way it is the
          // request's fault: an invalid value, not a server error.
          return make_error(ErrorKind::invalid_argument, "invalid_text",
                            "a value contains a NUL character, which is not allowed");
        }
        text.values[i] = value->c_str();
      }
    }
    return text;
  }

  Result<PgResultPtr> run(std::string_view sql, std::span<const SqlValue> params) {
    ISSUERD_TRY(ready());
    ISSUERD_ASSIGN(const Prepared* prepared, prepare(sql));
    ISSUERD_ASSIGN(TextParams text, text_params(*prepared, params));
    PGresult* raw = PQexecPrepared(conn_, prepared->name.c_str(), static_cast<int>(params.size()),
                                   text.values.data(), nullptr, nullptr, 0);
    return check(raw, "query", params);
  }

  PGconn* conn_;
  std::string uri_;  // for open_another()
  std::unordered_map<std::string, Prepared> statements_;
  std::uint64_t statement_counter_ = 0;
  bool in_transaction_ = false;
  bool begin_pending_ = false;                // begin() was called; BEGIN not sent yet
  std::optional<PipelineReading> in_flight_;  // send_commit() done, results not all read
  std::optional<Status> drained_outcome_;     // read, not yet taken by finish_commit()
};

}  // namespace

Result<std::unique_ptr<Connection>> open_postgres_connection(const std::string& uri) {
  PGconn* conn = PQconnectdb(uri.c_str());
  if (conn == nullptr) {
    return make_error(ErrorKind::unavailable, "database_unavailable",
                      "postgres: cannot allocate a connection");
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = "postgres: cannot connect: " + trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return make_error(ErrorKind::unavailable, "database_unavailable", std::move(message));
  }
  auto connection = std::make_unique<PostgresConnection>(conn, uri);
  ISSUERD_TRY(connection->setup_session());
  return std::unique_ptr<Connection>(std::move(connection));
}

}  // namespace issuerd::storage
