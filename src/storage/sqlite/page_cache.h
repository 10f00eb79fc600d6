// SQLite's own page cache (pcache1) behind a thin wrapper that takes one cost out of every
// commit: the scan of the whole cache's hash table when SQLite trims pages past the end of
// the database.
//
// At each commit SQLite asks the cache to drop pages numbered past the database's size.
// pcache1 scans only the tail of its table when its largest key is near that size, and the
// whole table otherwise. Its largest key only ever grows, and a b-tree that rebalances
// siblings out of order parks a page for a moment at the number of the lock page
// (262,145 with 4 KiB pages), so after the first such insert every commit scanned every
// slot: a cache of 64 MiB cost the writer about a third more CPU per authorization than one
// of 2 MiB (docs/benchmarks.md), which is why a larger cache had never measured better.
//
// The wrapper keeps its own bound on the keys the cache holds (the largest fetched, and the
// pages moved above it) and passes a trim on only when some page may be at or past it.
#pragma once

#include <sqlite3.h>

#include <cstdint>

namespace issuerd::storage {

// Installs the wrapper as SQLite's page cache, once (thread-safe). It can only be installed
// before SQLite initialises, so it must run before any other SQLite call of the process;
// returns whether the wrapper is installed (false: SQLite keeps its default, which is
// correct, only slower with a large cache).
bool install_page_cache();

// How many trims the wrapper passed on to pcache1 and how many it skipped, in the whole
// process since it started (for tests).
struct PageCacheTrims {
  std::uint64_t passed = 0;
  std::uint64_t skipped = 0;
};
PageCacheTrims page_cache_trims();

// The wrapper's methods, for tests that drive a cache directly (asserts it is installed).
const sqlite3_pcache_methods2& page_cache_methods();

}  // namespace issuerd::storage
