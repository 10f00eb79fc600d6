#include "storage/migrations.h"

#include <string>

#include "common/assert.h"
#include "common/clock.h"
#include "storage/connection.h"

namespace issuerd::storage {

namespace {

Result<int> current_version(Connection& db) {
  ISSUERD_TRY(db.execute_script(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
      "applied_at_ms BIGINT NOT NULL)"));
  ISSUERD_ASSIGN(auto rows, db.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {}));
  return static_cast<int>(rows[0].integer(0));
}

Status apply_one(Connection& db, const Migration& migration) {
  ISSUERD_TRY(db.begin());
  Status applied = db.execute_script(migration.sql);
  if (applied.ok()) {
    const SqlValue params[] = {std::int64_t{migration.version}, migration.name, wall_clock_ms()};
    auto recorded = db.execute("INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)", params);
    if (!recorded.ok()) applied = recorded.take_error();
  }
  if (!applied.ok()) {
    (void)db.rollback();
    Error error = applied.take_error();
    error.message = "migration " + migration.name + " failed: " + error.message;
    return error;
  }
  return db.commit();
}

}  // namespace

Result<int> migrate(Connection& db, int below_version) {
  const auto& migrations = embedded_migrations();
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    ISSUERD_ASSERT(migrations[i].version == static_cast<int>(i) + 1);
  }
  const int newest_known = static_cast<int>(migrations.size());
  ISSUERD_ASSIGN(int version, current_version(db));
  if (version > newest_known) {
    return make_error(ErrorKind::failed_precondition, "database_too_new",
                      "the database has schema version " + std::to_string(version) +
                          ", newer than this issuerd knows (" + std::to_string(newest_known) +
                          "); run a newer issuerd or restore a matching backup");
  }
  for (const Migration& migration : migrations) {
    if (migration.version <= version) continue;
    if (below_version > 0 && migration.version >= below_version) break;
    ISSUERD_TRY(apply_one(db, migration));
    version = migration.version;
  }
  return version;
}

}  // namespace issuerd::storage
