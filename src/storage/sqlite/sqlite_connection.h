// The SQLite driver: one sqlite3 handle opened NOMUTEX (one thread per connection) through
// the gathering VFS (gathering_vfs.h), WAL, synchronous=FULL, foreign_keys=ON, busy_timeout
// 5 s; statements cached per SQL text.
#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "storage/connection.h"

namespace issuerd::storage {

// Opens (creating the file and its folder if missing) the SQLite database at `path`.
Result<std::unique_ptr<Connection>> open_sqlite_connection(const std::string& path);

}  // namespace issuerd::storage
