// Versioned schema migrations, embedded from src/storage/migrations/NNNN_name.sql.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace issuerd::storage {

struct Migration {
  int version;
  std::string name;
  std::string sql;
};

// In version order; versions are 1, 2, 3, ... without gaps (asserted by migrate()).
const std::vector<Migration>& embedded_migrations();

class Connection;

// Brings the database up to the newest embedded version, each migration in its own
// transaction. A database whose schema_version is newer than this binary knows is refused
// with failed_precondition, reason "database_too_new", and left untouched.
// `below_version`: stop before that version (tests make the database an older issuerd left).
Result<int> migrate(Connection& connection, int below_version = 0);

}  // namespace issuerd::storage
