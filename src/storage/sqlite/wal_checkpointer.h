// Moves SQLite's WAL checkpoints off the writer's thread. By default the connection that
// commits runs a checkpoint whenever the WAL passes 1000 pages: it copies the pages into the
// database file and syncs that file, and every request waiting on that commit waits for it
// too. Here the writer's commit only counts the WAL's pages (sqlite3_wal_hook) and wakes a
// thread that checkpoints on a connection of its own, PASSIVE, so it never blocks the
// writer or a reader.
//
// SQLite restarts the WAL from its start only when a write transaction begins and every
// frame has been copied. Under constant writes the thread never catches up with the end of
// the WAL (the writer appends while it copies), so on its own the WAL, and the WAL index
// mapped into memory, grew without end (the soak of docs/reliability.md). So once the WAL
// passes wal_pages_before_restart, the writer's own commit copies the few frames the thread
// has not (PASSIVE too, skipped while the thread holds the checkpoint lock), and its next
// transaction starts the WAL over.
#pragma once

#include <sqlite3.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/result.h"

namespace issuerd::storage {

class WalCheckpointer {
 public:
  // Opens its own connection to `path` and installs the hook on `writer_db`.
  static Result<std::unique_ptr<WalCheckpointer>> start(sqlite3* writer_db, const std::string& path);
  ~WalCheckpointer();  // stops the thread; call before closing the writer's connection
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  static constexpr int wal_pages_before_checkpoint = 1000;  // SQLite's own default
  static constexpr int wal_pages_before_restart = 4 * wal_pages_before_checkpoint;

 private:
  WalCheckpointer(sqlite3* writer_db, sqlite3* own_db);
  static int on_commit(void* self, sqlite3* db, const char* schema, int wal_pages);
  void loop();

  sqlite3* writer_db_;
  sqlite3* own_db_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool wanted_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace issuerd::storage
