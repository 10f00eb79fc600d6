#include "storage/sqlite/page_cache.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <new>
#include <unordered_map>

#include "common/assert.h"

namespace issuerd::storage {

namespace {

sqlite3_pcache_methods2 default_methods;  // pcache1's, as SQLite had them
std::atomic<std::uint64_t> trims_passed{0};
std::atomic<std::uint64_t> trims_skipped{0};

// One per connection's cache (SQLite's caches are never shared between threads at once:
// each belongs to one connection, which one thread uses at a time).
struct TrackedCache {
  sqlite3_pcache* inner = nullptr;
  // Every page the cache holds is numbered at most the larger of these.
  unsigned fetched_max = 0;                                  // largest key fetched
  std::unordered_map<sqlite3_pcache_page*, unsigned> moved;  // pages moved above fetched_max

  unsigned highest() const {
    unsigned highest_key = fetched_max;
    for (const auto& [page, key] : moved) highest_key = std::max(highest_key, key);
    return highest_key;
  }
};

TrackedCache& tracked(sqlite3_pcache* cache) { return *reinterpret_cast<TrackedCache*>(cache); }

sqlite3_pcache* x_create(int page_bytes, int extra_bytes, int purgeable) {
  sqlite3_pcache* inner = default_methods.xCreate(page_bytes, extra_bytes, purgeable);
  if (inner == nullptr) return nullptr;
  auto* tracked_cache = new (std::nothrow) TrackedCache;  // SQLite expects null, not a throw
  if (tracked_cache == nullptr) {
    default_methods.xDestroy(inner);
    return nullptr;
  }
  tracked_cache->inner = inner;
  return reinterpret_cast<sqlite3_pcache*>(tracked_cache);
}

void x_cachesize(sqlite3_pcache* cache, int pages) { default_methods.xCachesize(tracked(cache).inner, pages); }

int x_pagecount(sqlite3_pcache* cache) { return default_methods.xPagecount(tracked(cache).inner); }

sqlite3_pcache_page* x_fetch(sqlite3_pcache* cache, unsigned key, int create) {
  TrackedCache& t = tracked(cache);
  sqlite3_pcache_page* page = default_methods.xFetch(t.inner, key, create);
  if (page != nullptr && key > t.fetched_max) t.fetched_max = key;
  return page;
}

void x_unpin(sqlite3_pcache* cache, sqlite3_pcache_page* page, int discard) {
  TrackedCache& t = tracked(cache);
  if (discard != 0 && !t.moved.empty()) t.moved.erase(page);
  default_methods.xUnpin(t.inner, page, discard);
}

void x_rekey(sqlite3_pcache* cache, sqlite3_pcache_page* page, unsigned old_key, unsigned new_key) {
  TrackedCache& t = tracked(cache);
  default_methods.xRekey(t.inner, page, old_key, new_key);
  if (new_key > t.fetched_max) {
    try {
      t.moved[page] = new_key;
    } catch (const std::bad_alloc&) {
      t.fetched_max = UINT_MAX;  // unrecorded: every trim goes on until one has dropped it
    }
  } else if (!t.moved.empty()) {
    t.moved.erase(page);
  }
}

// Drops every page numbered `limit` or more. A page pcache1 evicted on its own may still be
// counted in the bound; that only passes a trim on that had nothing to do.
void x_truncate(sqlite3_pcache* cache, unsigned limit) {
  ISSUERD_ASSERT(limit >= 1);  // SQLite asks for page numbers past a size, and pages start at 1
  TrackedCache& t = tracked(cache);
  if (limit > t.highest()) {
    trims_skipped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  trims_passed.fetch_add(1, std::memory_order_relaxed);
  default_methods.xTruncate(t.inner, limit);
  t.fetched_max = std::min(t.fetched_max, limit - 1);
  std::erase_if(t.moved, [limit](const auto& entry) { return entry.second >= limit; });
}

void x_destroy(sqlite3_pcache* cache) {
  TrackedCache* t = &tracked(cache);
  default_methods.xDestroy(t->inner);
  delete t;
}

void x_shrink(sqlite3_pcache* cache) { default_methods.xShrink(tracked(cache).inner); }

sqlite3_pcache_methods2 wrapper;

bool install() {
  if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &default_methods) != SQLITE_OK) return false;
  wrapper = default_methods;  // iVersion, pArg, xInit, xShutdown stay
  wrapper.xCreate = x_create;
  wrapper.xCachesize = x_cachesize;
  wrapper.xPagecount = x_pagecount;
  wrapper.xFetch = x_fetch;
  wrapper.xUnpin = x_unpin;
  wrapper.xRekey = x_rekey;
  wrapper.xTruncate = x_truncate;
  wrapper.xDestroy = x_destroy;
  wrapper.xShrink = x_shrink;
  return sqlite3_config(SQLITE_CONFIG_PCACHE2, &wrapper) == SQLITE_OK;
}

}  // namespace

bool install_page_cache() {
  static const bool installed = install();  // C++ runs it once, thread-safe
  return installed;
}

const sqlite3_pcache_methods2& page_cache_methods() {
  ISSUERD_ASSERT(install_page_cache());
  return wrapper;
}

PageCacheTrims page_cache_trims() {
  return {trims_passed.load(std::memory_order_relaxed), trims_skipped.load(std::memory_order_relaxed)};
}

}  // namespace issuerd::storage
