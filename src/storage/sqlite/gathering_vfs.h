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
#pragma once

namespace issuerd::storage {

// Registers the VFS (once, thread-safe) and returns its name for sqlite3_open_v2.
const char* gathering_vfs_name();

}  // namespace issuerd::storage
