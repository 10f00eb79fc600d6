#include "storage/sqlite/sqlite_connection.h"

#include <sqlite3.h>

#include <climits>
#include <filesystem>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "storage/sqlite/gathering_vfs.h"
#include "storage/sqlite/page_cache.h"
#include "storage/sqlite/wal_checkpointer.h"

namespace issuerd::storage {

namespace {

constexpr int kBusyTimeoutMs = 5000;

// Maps an SQLite result code (extended codes are on) to an Error. The engine's message
// names tables and columns, never values; it is still scrubbed of parameter values.
Error sqlite_error(sqlite3* db, int code, std::string_view action,
                   std::span<const SqlValue> params = {}) {
  const char* engine_message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  std::string message = "sqlite: ";
  message += action;
  message += ": ";
  message += engine_message != nullptr ? engine_message : sqlite3_errstr(code);
  message += " (code " + std::to_string(code) + ")";
  message = detail::redact_parameters(std::move(message), params);

  switch (code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_ROWID:
      return make_error(ErrorKind::conflict, "unique_violation", std::move(message));
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return make_error(ErrorKind::internal, "foreign_key_violation", std::move(message));
    case SQLITE_CONSTRAINT_NOTNULL:
      return make_error(ErrorKind::internal, "not_null_violation", std::move(message));
    case SQLITE_CONSTRAINT_CHECK:
      return make_error(ErrorKind::internal, "check_violation", std::move(message));
    default: break;
  }
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return make_error(ErrorKind::unavailable, "database_busy", std::move(message));
    case SQLITE_CANTOPEN:
      return make_error(ErrorKind::unavailable, "database_unavailable", std::move(message));
    default:
      return make_error(ErrorKind::internal, "database_error", std::move(message));
  }
}

bool only_whitespace_and_semicolons(std::string_view text) {
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != ';' && c != '\f' && c != '\v') {
      return false;
    }
  }
  return true;
}

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  ~SqliteConnection() override {
    checkpointer_.reset();  // its hook and thread go before the connection does
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    statements_.clear();
    sqlite3_close_v2(db_);
  }

  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  Dialect dialect() const override { return Dialect::sqlite; }

  Status offload_checkpoints(const WalLimits& limits) override {
    if (checkpointer_ || path_ == ":memory:") return Status::success();
    ISSUERD_ASSIGN(checkpointer_, WalCheckpointer::start(db_, path_, limits));
    return Status::success();
  }

  Status size_page_cache(std::int64_t cache_bytes) override {
    // Without the page cache wrapper every commit scans the whole cache (page_cache.h), and
    // a large one costs more than the reads it saves: keep SQLite's default then.
    if (!install_page_cache()) return Status::success();
    return execute_script("PRAGMA cache_size=-" + std::to_string(cache_bytes / 1024) + ";");
  }

  Status execute_script(std::string_view sql) override {
    const std::string script(sql);
    char* error_message = nullptr;
    const int rc = sqlite3_exec(db_, script.c_str(), nullptr, nullptr, &error_message);
    sqlite3_free(error_message);  // sqlite3_errmsg(db_) still holds the same text
    if (rc != SQLITE_OK) return sqlite_error(db_, sqlite3_extended_errcode(db_), "script");
    return Status::success();
  }

  Result<std::vector<Row>> query(std::string_view sql, std::span<const SqlValue> params) override {
    std::vector<Row> rows;
    ISSUERD_TRY(run(sql, params, &rows));
    return rows;
  }

  Result<std::int64_t> execute(std::string_view sql, std::span<const SqlValue> params) override {
    const sqlite3_int64 before = sqlite3_total_changes64(db_);
    ISSUERD_TRY(run(sql, params, nullptr));
    // sqlite3_changes64 keeps the count of the last INSERT/UPDATE/DELETE; a statement
    // that changed nothing (DDL, a SELECT) must not report a stale count.
    if (sqlite3_total_changes64(db_) == before) return std::int64_t{0};
    return static_cast<std::int64_t>(sqlite3_changes64(db_));
  }

  Status begin() override { return exec_simple("BEGIN IMMEDIATE"); }
  Status commit() override { return exec_simple("COMMIT"); }
  Status rollback() override {
    // Some errors (SQLITE_FULL, SQLITE_IOERR, ...) already rolled the transaction back.
    if (sqlite3_get_autocommit(db_) != 0) return Status::success();
    return exec_simple("ROLLBACK");
  }

  Status savepoint(std::string_view name) override {
    ISSUERD_TRY(check_savepoint_name(name));
    return exec_simple("SAVEPOINT " + std::string(name));
  }
  Status release_savepoint(std::string_view name) override {
    ISSUERD_TRY(check_savepoint_name(name));
    return exec_simple("RELEASE SAVEPOINT " + std::string(name));
  }
  Status rollback_to_savepoint(std::string_view name) override {
    ISSUERD_TRY(check_savepoint_name(name));
    return exec_simple("ROLLBACK TO SAVEPOINT " + std::string(name));
  }

 private:
  // Resets a cached statement however run() leaves. Its bindings stay, pointing at strings
  // that are gone, and are never read: a statement only steps after bind() has replaced
  // every one of them (it checks the count). Clearing them cost about 1,000 instructions
  // per authorization on the write-back's multi-row statements.
  struct StatementReset {
    sqlite3_stmt* stmt;
    ~StatementReset() { sqlite3_reset(stmt); }
  };

  static Status check_savepoint_name(std::string_view name) {
    if (!detail::is_plain_identifier(name)) {
      return make_error(ErrorKind::internal, "invalid_savepoint_name",
                        "savepoint names must be plain SQL identifiers");
    }
    return Status::success();
  }

  Status exec_simple(const std::string& sql) {
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return sqlite_error(db_, sqlite3_extended_errcode(db_), sql);
    return Status::success();
  }

  Result<sqlite3_stmt*> prepare(std::string_view sql) {
    std::string key(sql);
    if (auto found = statements_.find(key); found != statements_.end()) return found->second;
    if (key.size() >= static_cast<std::size_t>(INT_MAX)) {
      return make_error(ErrorKind::internal, "database_error", "sqlite: statement too long");
    }
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, key.c_str(), static_cast<int>(key.size() + 1),
                                SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (rc != SQLITE_OK) return sqlite_error(db_, rc, "prepare");
    if (stmt == nullptr) {
      return make_error(ErrorKind::internal, "database_error", "sqlite: empty statement");
    }
    // One statement per call (as on PostgreSQL); a tail of comments or ';' is fine.
    const std::size_t used = static_cast<std::size_t>(tail - key.c_str());
    std::string_view rest = std::string_view(key).substr(std::min(used, key.size()));
    if (!only_whitespace_and_semicolons(rest)) {
      sqlite3_stmt* extra = nullptr;
      rc = sqlite3_prepare_v2(db_, rest.data(), static_cast<int>(rest.size()), &extra, nullptr);
      const bool more = rc != SQLITE_OK || extra != nullptr;
      sqlite3_finalize(extra);
      if (more) {
        sqlite3_finalize(stmt);
        return make_error(ErrorKind::internal, "database_error",
                          "sqlite: query() and execute() take exactly one statement");
      }
    }
    statements_.emplace(std::move(key), stmt);
    return stmt;
  }

  Status bind(sqlite3_stmt* stmt, std::span<const SqlValue> params) {
    const int expected = sqlite3_bind_parameter_count(stmt);
    if (static_cast<std::size_t>(expected) != params.size()) {
      return make_error(ErrorKind::internal, "database_error",
                        "sqlite: statement expects " + std::to_string(expected) +
                            " parameters, got " + std::to_string(params.size()));
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i + 1);
      int rc = SQLITE_OK;
      if (const auto* number = std::get_if<std::int64_t>(&params[i])) {
        rc = sqlite3_bind_int64(stmt, index, static_cast<sqlite3_int64>(*number));
      } else if (const auto* text = std::get_if<std::string>(&params[i])) {
        // SQLITE_STATIC: the caller's strings outlive the step (see StatementReset).
        rc = sqlite3_bind_text64(stmt, index, text->data(), static_cast<sqlite3_uint64>(text->size()),
                                 SQLITE_STATIC, SQLITE_UTF8);
      } else {
        rc = sqlite3_bind_null(stmt, index);
      }
      if (rc != SQLITE_OK) return sqlite_error(db_, rc, "bind", params);
    }
    return Status::success();
  }

  static Row read_row(sqlite3_stmt* stmt) {
    const int count = sqlite3_column_count(stmt);
    std::vector<SqlValue> columns;
    columns.reserve(static_cast<std::size_t>(count));
    for (int c = 0; c < count; ++c) {
      switch (sqlite3_column_type(stmt, c)) {
        case SQLITE_NULL: columns.emplace_back(nullptr); break;
        case SQLITE_INTEGER:
          columns.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(stmt, c)));
          break;
        case SQLITE_BLOB: {
          const void* data = sqlite3_column_blob(stmt, c);
          const int size = sqlite3_column_bytes(stmt, c);
          columns.emplace_back(data == nullptr ? std::string()
                                               : std::string(static_cast<const char*>(data),
                                                             static_cast<std::size_t>(size)));
          break;
        }
        default: {  // TEXT, and FLOAT as SQLite formats it
          const unsigned char* data = sqlite3_column_text(stmt, c);
          const int size = sqlite3_column_bytes(stmt, c);
          columns.emplace_back(data == nullptr ? std::string()
                                               : std::string(reinterpret_cast<const char*>(data),
                                                             static_cast<std::size_t>(size)));
          break;
        }
      }
    }
    return Row(std::move(columns));
  }

  // Runs one statement to completion; collects rows when `rows` is given.
  Status run(std::string_view sql, std::span<const SqlValue> params, std::vector<Row>* rows) {
    ISSUERD_ASSIGN(sqlite3_stmt* stmt, prepare(sql));
    StatementReset reset{stmt};
    ISSUERD_TRY(bind(stmt, params));
    for (;;) {
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) return Status::success();
      if (rc == SQLITE_ROW) {
        if (rows != nullptr) rows->push_back(read_row(stmt));
        continue;
      }
      return sqlite_error(db_, rc, "step", params);
    }
  }

  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
  std::unique_ptr<WalCheckpointer> checkpointer_;
};

}  // namespace

Result<std::unique_ptr<Connection>> open_sqlite_connection(const std::string& path) {
  const std::filesystem::path file(path);
  if (path != ":memory:" && file.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    if (ec) {
      return make_error(ErrorKind::unavailable, "database_unavailable",
                        "sqlite: cannot create the database folder " + file.parent_path().string() +
                            ": " + ec.message());
    }
  }

  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, gathering_vfs_name());
  if (rc != SQLITE_OK) {
    Error error = sqlite_error(db, rc, "open " + path);
    error.kind = ErrorKind::unavailable;
    error.reason = "database_unavailable";
    sqlite3_close_v2(db);
    return error;
  }
  auto connection = std::make_unique<SqliteConnection>(db, path);  // closes db from here on
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  grow_in_chunks(db);
  // temp_store=MEMORY: a multi-row INSERT inside the writer's batch transaction keeps a
  // statement journal (the original of every page it changes, so that it can be undone
  // alone). Past 64 KiB SQLite spilled it to a temporary file, two pwrite calls per page:
  // 2 s of engine_benchmark at 64 in flight wrote 34 MB in 13,926 calls there, against
  // 38 MB to the WAL (docs/benchmarks.md).
  ISSUERD_TRY(connection->execute_script(
      "PRAGMA busy_timeout=5000;"
      "PRAGMA journal_mode=WAL;"
      "PRAGMA synchronous=FULL;"
      "PRAGMA foreign_keys=ON;"
      "PRAGMA temp_store=MEMORY;"));
  return std::unique_ptr<Connection>(std::move(connection));
}

}  // namespace issuerd::storage
