// Moves SQLite's WAL checkpoints off the writer's thread. By default the connection that
// commits runs a checkpoint whenever the WAL passes 1000 pages: it copies the pages into the
// database file and syncs that file, and every request waiting on that commit waits for it
// too. Here the writer's commit only looks at the WAL's length (sqlite3_wal_hook) and wakes a
// thread that checkpoints on a connection of its own, PASSIVE, so it never blocks a reader.
//
// The thread copies each time pages_before_checkpoint more pages are in the WAL. Why not
// SQLite's 1,000: a busy page (an account, an index's inner pages) is in the WAL once per
// batch, and a checkpoint copies only its last version, so fewer, longer checkpoints copy
// fewer pages; from 1,000 pages they took 30 % more CPU per authorization (docs/benchmarks.md).
//
// SQLite starts the WAL over only when a write transaction begins and every frame has been
// copied, and the thread cannot get there alone: the writer appends while it copies. So once
// the WAL passes pages_before_restart the thread copies in passes, each over what the WAL
// held when it began, until what is left is short (tail_pages_max); the writer's next
// commit copies that tail itself, and its next transaction starts the WAL over. The writer
// waits on that copy, so it comes rarely: each wait is a slow batch. Should the thread fall
// behind, the writer waits for it and copies the rest once the WAL reaches pages_max. The
// limits are in storage/sqlite/wal_limits.h.
#pragma once

#include <sqlite3.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/result.h"
#include "storage/sqlite/wal_limits.h"

namespace issuerd::storage {

class WalCheckpointer {
 public:
  // Opens its own connection to `path` and installs the hook on `writer_db`.
  static Result<std::unique_ptr<WalCheckpointer>> start(sqlite3* writer_db, const std::string& path,
                                                        const WalLimits& limits);
  ~WalCheckpointer();  // stops the thread; call before closing the writer's connection
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

 private:
  WalCheckpointer(sqlite3* writer_db, sqlite3* own_db, const WalLimits& limits);
  static int on_commit(void* self, sqlite3* db, const char* schema, int wal_pages);
  void copy_tail(sqlite3* db, const char* schema);
  void loop();
  void copy_in_passes();

  sqlite3* writer_db_;
  sqlite3* own_db_;
  const WalLimits limits_;
  std::mutex mutex_;  // guards the four below
  std::condition_variable wake_;
  bool wanted_ = false;
  bool stopping_ = false;
  int copied_pages_ = 0;  // of the WAL as it is now (0 once the writer's copy left none)
  bool tail_is_short_ = false;  // the thread has copied all but the tail of a WAL to start over
  std::mutex copying_;  // held around every checkpoint, the thread's and the writer's
  std::thread thread_;
};

}  // namespace issuerd::storage
