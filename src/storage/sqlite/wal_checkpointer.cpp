#include "storage/sqlite/wal_checkpointer.h"

#include "common/log.h"

namespace issuerd::storage {

Result<std::unique_ptr<WalCheckpointer>> WalCheckpointer::start(sqlite3* writer_db, const std::string& path) {
  sqlite3* own_db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &own_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_close_v2(own_db);
    return make_error(ErrorKind::unavailable, "database_unavailable",
                      std::string("sqlite: cannot open a checkpoint connection: ") + sqlite3_errstr(rc));
  }
  sqlite3_busy_timeout(own_db, 5000);
  std::unique_ptr<WalCheckpointer> checkpointer(new WalCheckpointer(writer_db, own_db));
  // Replaces the writer's automatic checkpoints (sqlite3_wal_autocheckpoint installs a hook too).
  sqlite3_wal_hook(writer_db, &WalCheckpointer::on_commit, checkpointer.get());
  checkpointer->thread_ = std::thread([raw = checkpointer.get()] { raw->loop(); });
  return checkpointer;
}

WalCheckpointer::WalCheckpointer(sqlite3* writer_db, sqlite3* own_db) : writer_db_(writer_db), own_db_(own_db) {}

WalCheckpointer::~WalCheckpointer() {
  sqlite3_wal_hook(writer_db_, nullptr, nullptr);
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  sqlite3_close_v2(own_db_);
}

// On the writer's thread, after each commit: a flag and a notify, and the tail of a long WAL.
int WalCheckpointer::on_commit(void* self, sqlite3* db, const char* schema, int wal_pages) {
  if (wal_pages < wal_pages_before_checkpoint) return SQLITE_OK;
  if (wal_pages >= wal_pages_before_restart) {
    const int rc = sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
      log::warn("wal_checkpoint_failed", {{"code", rc}, {"message", sqlite3_errmsg(db)}});
    }
  }
  auto* checkpointer = static_cast<WalCheckpointer*>(self);
  {
    std::lock_guard lock(checkpointer->mutex_);
    checkpointer->wanted_ = true;
  }
  checkpointer->wake_.notify_one();
  return SQLITE_OK;
}

void WalCheckpointer::loop() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return wanted_ || stopping_; });
      if (stopping_) return;
      wanted_ = false;
    }
    int wal_pages = 0;
    int copied_pages = 0;
    const int rc = sqlite3_wal_checkpoint_v2(own_db_, "main", SQLITE_CHECKPOINT_PASSIVE, &wal_pages, &copied_pages);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
      log::warn("wal_checkpoint_failed", {{"code", rc}, {"message", sqlite3_errmsg(own_db_)}});
    }
  }
}

}  // namespace issuerd::storage
