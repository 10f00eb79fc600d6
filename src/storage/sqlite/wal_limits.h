// When SQLite's WAL is copied into the database file and started over
// (sqlite/wal_checkpointer.h), in pages of the WAL. Its own header so that
// storage/connection.h can take it without SQLite's.
#pragma once

namespace issuerd::storage {

struct WalLimits {
  // The thread copies each time this many more pages are in the WAL.
  int pages_before_checkpoint = 4000;
  // Past this the WAL is started over: the thread copies in passes until the tail is short,
  // and the writer copies that tail, waiting for the database file's sync (6-20 ms, a slow
  // batch). At 15,000 authorizations/s (about 55,000 WAL pages/s) 16,000 pages brought that
  // wait several times a second, into the p99; 128,000 pages (500 MiB) bring it about every
  // 2.5 s, past the p99 (docs/benchmarks.md, the tenth session).
  int pages_before_restart = 32 * 4000;
  int tail_pages_max = 256;
  // Should the thread fall behind, the writer waits for it and copies the rest here.
  int pages_max = 2 * pages_before_restart;
  int passes_max = 4;  // then the writer copies whatever is left
};

}  // namespace issuerd::storage
