// A VFS over SQLite's default one that gathers the writes to a WAL file and hands them to the
// OS in one call when they must reach it, instead of as they come. SQLite writes each WAL
// frame as two calls (its 24-byte header, then the 4 KiB page), so a commit of 120 frames
// was 240 pwrite calls, each touching page-cache pages partly; one call of the same bytes
// took a third of the time on this machine's disk (docs/benchmarks.md).
//
// What is gathered is written before anything could need it: when SQLite syncs the WAL
// (every commit, as synchronous=FULL), when it publishes new frames in the WAL index (the
// database file's shared-memory barrier: other connections learn of frames only from that
// index), before any read, truncate or size query of the file, before a file control, when
// a write does not continue the gathered bytes, when they pass 8 MiB, and on close. It goes
// out 64 KiB a call. Files other than WALs pass straight through.
//
// It also grows database files in chunks with large writes. With a chunk size set, SQLite's
// default VFS, as Debian builds it (without posix_fallocate), extends a file by writing one
// byte into each 4 KiB block: 8,192 calls for a 32 MiB chunk, 60-80 ms on the writer's thread
// every time the database crossed a chunk boundary. This VFS writes the same zeros 64 KiB a
// call before passing the size hint on.
#pragma once

#include <sqlite3.h>

namespace issuerd::storage {

// Registers the VFS (once, thread-safe) and returns its name for sqlite3_open_v2.
const char* gathering_vfs_name();

// Database files grow this much at a time: syncing a write that extends a file costs a
// file-system journal commit (about 3.7 ms on this machine's disk, against 0.2 ms for a write
// inside the file), and every checkpoint that grew the file paid it.
constexpr int database_chunk_bytes = 32 << 20;

// Every connection that may write the database file must set the chunk: a checkpoint that
// finds the whole WAL copied truncates the file to the database's size rounded up to its
// connection's chunk, so one connection without it cut off what another had grown.
void grow_in_chunks(sqlite3* db);

}  // namespace issuerd::storage
