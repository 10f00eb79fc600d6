// Fresh databases for the storage and end-to-end suites: always SQLite; PostgreSQL too
// when ISSUERD_TEST_POSTGRES_URL names a server (make test starts one). When
// ISSUERD_TEST_REQUIRE_POSTGRES=1 and the URL is missing or unreachable, the suites fail
// instead of silently testing SQLite alone.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "storage/connection.h"

namespace issuerd::testing {

std::vector<storage::Dialect> dialects_under_test();
std::string dialect_name(storage::Dialect dialect);  // "sqlite" / "postgres" (for test names)

class TestDatabase {
 public:
  // A new empty database: a file in a fresh temporary folder, or a new PostgreSQL
  // database with a unique name on the test server. Aborts the test (gtest fatal failure
  // via exception) if it cannot be made.
  explicit TestDatabase(storage::Dialect dialect);
  ~TestDatabase();  // removes the file(s) / drops the database (terminating its sessions)
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  storage::Dialect dialect() const { return dialect_; }
  // The URL issuerd's --database takes: "sqlite:/tmp/.../issuerd.db" or "postgresql://...".
  const std::string& url() const { return url_; }
  // For SQLite, the folder holding the file and its WAL (for leak scans); "" for PostgreSQL.
  const std::string& directory() const { return directory_; }
  std::unique_ptr<storage::Connection> connect() const;  // asserts success
  // connect(), then the migrations: a database with every table (throws on failure).
  std::unique_ptr<storage::Connection> connect_migrated() const;
  // connect(), then only the migrations older than `version`, recorded as applied: the
  // database an older issuerd left, for testing what a migration does to its rows.
  std::unique_ptr<storage::Connection> connect_migrated_before(int version) const;

 private:
  storage::Dialect dialect_;
  std::string url_;
  std::string directory_;
  std::string postgres_database_name_;
};

}  // namespace issuerd::testing
