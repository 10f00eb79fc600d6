#include "storage/sqlite/wal_checkpointer.h"

#include "common/log.h"
#include "storage/sqlite/gathering_vfs.h"

namespace issuerd::storage {

Result<std::unique_ptr<WalCheckpointer>> WalCheckpointer::start(sqlite3* writer_db, const std::string& path,
                                                                const WalLimits& limits) {
  sqlite3* own_db = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &own_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, gathering_vfs_name());
  if (rc != SQLITE_OK) {
    sqlite3_close_v2(own_db);
    return make_error(ErrorKind::unavailable, "database_unavailable",
                      std::string("sqlite: cannot open a checkpoint connection: ") + sqlite3_errstr(rc));
  }
  sqlite3_busy_timeout(own_db, 5000);
  grow_in_chunks(own_db);
  // A connection learns that the database is in WAL mode, and opens the WAL, only when it
  // first reads. Until then sqlite3_wal_checkpoint_v2 on it does nothing and reports -1
  // pages, and for a long time it did exactly that: the writer's own copy of the WAL's tail
  // did every checkpoint, 4,000 pages at once (docs/benchmarks.md).
  if (const int read_rc = sqlite3_exec(own_db, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr);
      read_rc != SQLITE_OK) {
    const std::string message = sqlite3_errmsg(own_db);
    sqlite3_close_v2(own_db);
    return make_error(ErrorKind::unavailable, "database_unavailable",
                      "sqlite: the checkpoint connection cannot read the database: " + message);
  }
  std::unique_ptr<WalCheckpointer> checkpointer(new WalCheckpointer(writer_db, own_db, limits));
  // Replaces the writer's automatic checkpoints (sqlite3_wal_autocheckpoint installs a hook too).
  sqlite3_wal_hook(writer_db, &WalCheckpointer::on_commit, checkpointer.get());
  checkpointer->thread_ = std::thread([raw = checkpointer.get()] { raw->loop(); });
  return checkpointer;
}

WalCheckpointer::WalCheckpointer(sqlite3* writer_db, sqlite3* own_db, const WalLimits& limits)
    : writer_db_(writer_db), own_db_(own_db), limits_(limits) {}

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

// On the writer's thread, after each commit.
int WalCheckpointer::on_commit(void* self, sqlite3* db, const char* schema, int wal_pages) {
  auto* checkpointer = static_cast<WalCheckpointer*>(self);
  const WalLimits& limits = checkpointer->limits_;
  if (wal_pages < limits.pages_before_checkpoint) return SQLITE_OK;
  std::unique_lock copying(checkpointer->copying_, std::try_to_lock);
  if (!copying.owns_lock()) {  // the thread is copying
    if (wal_pages < limits.pages_max) return SQLITE_OK;
    copying.lock();  // it has fallen behind: wait for its pass, then copy the rest here
    checkpointer->copy_tail(db, schema);
    return SQLITE_OK;
  }
  bool copy_now = wal_pages >= limits.pages_max;
  bool wake = false;
  {
    std::lock_guard lock(checkpointer->mutex_);
    copy_now = copy_now || checkpointer->tail_is_short_;
    wake = !copy_now && wal_pages - checkpointer->copied_pages_ >= limits.pages_before_checkpoint;
    if (wake) checkpointer->wanted_ = true;
  }
  if (copy_now) {
    checkpointer->copy_tail(db, schema);
    return SQLITE_OK;
  }
  copying.unlock();
  if (wake) checkpointer->wake_.notify_one();
  return SQLITE_OK;
}

// The caller holds copying_. Once every frame is in the database file, the writer's next
// transaction starts the WAL over.
void WalCheckpointer::copy_tail(sqlite3* db, const char* schema) {
  int wal_pages = 0;
  int copied_pages = 0;
  const int rc = sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, &wal_pages, &copied_pages);
  if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
    log::warn("wal_checkpoint_failed", {{"code", rc}, {"message", sqlite3_errmsg(db)}});
  }
  std::lock_guard lock(mutex_);
  tail_is_short_ = false;
  if (rc == SQLITE_OK) copied_pages_ = copied_pages == wal_pages ? 0 : copied_pages;
}

void WalCheckpointer::loop() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return wanted_ || stopping_; });
      if (stopping_) return;
      wanted_ = false;
    }
    copy_in_passes();
  }
}

// Each pass copies what the WAL held when it began. Below pages_before_restart one pass
// does; past it, the next pass copies what the writer appended meanwhile, until a pass had
// little to copy (the tail after it is shorter still) and the writer can copy the rest.
void WalCheckpointer::copy_in_passes() {
  std::lock_guard copying(copying_);
  int copied_before = 0;
  {
    std::lock_guard lock(mutex_);
    copied_before = copied_pages_;
  }
  int wal_pages = 0;
  for (int pass = 0; pass < limits_.passes_max; ++pass) {
    int copied_pages = 0;
    const int rc = sqlite3_wal_checkpoint_v2(own_db_, "main", SQLITE_CHECKPOINT_PASSIVE, &wal_pages, &copied_pages);
    if (rc != SQLITE_OK) {
      if (rc != SQLITE_BUSY) log::warn("wal_checkpoint_failed", {{"code", rc}, {"message", sqlite3_errmsg(own_db_)}});
      return;
    }
    const bool had_little_to_copy = wal_pages - copied_before <= limits_.tail_pages_max;
    copied_before = copied_pages;
    if (had_little_to_copy || wal_pages < limits_.pages_before_restart) break;
  }
  std::lock_guard lock(mutex_);
  copied_pages_ = copied_before;
  tail_is_short_ = wal_pages >= limits_.pages_before_restart;
}

}  // namespace issuerd::storage
