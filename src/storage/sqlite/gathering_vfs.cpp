#include "storage/sqlite/gathering_vfs.h"

#include <sqlite3.h>

#include <algorithm>
#include <mutex>
#include <vector>

#include "common/assert.h"
#include "storage/sqlite/page_cache.h"

namespace issuerd::storage {

namespace {

constexpr const char* vfs_name = "issuerd-gathering";
constexpr std::size_t gathered_bytes_max = 8 << 20;
// The default VFS writes at most 128 KiB - 1 in one call (it masks the count with 0x1ffff:
// SQLite's own writes are a page at most).
constexpr std::size_t write_bytes_max = 64 << 10;

// SQLite allocates szOsFile bytes per open file: this header, then the default VFS's own
// file object right after it.
struct GatheringFile {
  sqlite3_file base;  // first: SQLite sees this, with the methods below
  sqlite3_file* real;
  std::vector<char>* gathered;  // WAL files only; null for the others
  sqlite3_int64 gathered_offset;
  // A connection's database file and its WAL know each other while both are open: the
  // database file's shared-memory barrier is where SQLite publishes new WAL frames.
  GatheringFile* wal;
  GatheringFile* database;
  sqlite3_int64 chunk_bytes;  // SQLITE_FCNTL_CHUNK_SIZE as last set; 0 for none
};
static_assert(sizeof(GatheringFile) % 8 == 0, "the default VFS's file object follows, aligned");

sqlite3_vfs* real_vfs = nullptr;
sqlite3_vfs vfs;
sqlite3_io_methods methods;

GatheringFile* as_gathering(sqlite3_file* file) { return reinterpret_cast<GatheringFile*>(file); }
sqlite3_file* real(sqlite3_file* file) { return as_gathering(file)->real; }

int write_gathered(GatheringFile* file) {
  if (file->gathered == nullptr || file->gathered->empty()) return SQLITE_OK;
  int rc = SQLITE_OK;
  for (std::size_t done = 0; done < file->gathered->size() && rc == SQLITE_OK; done += write_bytes_max) {
    const std::size_t bytes = std::min(write_bytes_max, file->gathered->size() - done);
    rc = file->real->pMethods->xWrite(file->real, file->gathered->data() + done, static_cast<int>(bytes),
                                      file->gathered_offset + static_cast<sqlite3_int64>(done));
  }
  file->gathered->clear();
  return rc;
}

int x_close(sqlite3_file* file) {
  GatheringFile* f = as_gathering(file);
  if (f->wal != nullptr) f->wal->database = nullptr;
  if (f->database != nullptr) f->database->wal = nullptr;
  const int written = write_gathered(f);
  const int closed = f->real->pMethods->xClose(f->real);
  delete f->gathered;
  f->gathered = nullptr;
  return written != SQLITE_OK ? written : closed;
}

int x_read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  if (int rc = write_gathered(as_gathering(file)); rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xRead(real(file), out, amount, offset);
}

int x_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  GatheringFile* f = as_gathering(file);
  if (f->gathered == nullptr) return f->real->pMethods->xWrite(f->real, data, amount, offset);
  const auto gathered_end = f->gathered_offset + static_cast<sqlite3_int64>(f->gathered->size());
  if (!f->gathered->empty() && offset != gathered_end) {
    if (int rc = write_gathered(f); rc != SQLITE_OK) return rc;  // keeps the writes in order
  }
  if (f->gathered->empty()) f->gathered_offset = offset;
  const char* bytes = static_cast<const char*>(data);
  f->gathered->insert(f->gathered->end(), bytes, bytes + amount);
  return f->gathered->size() >= gathered_bytes_max ? write_gathered(f) : SQLITE_OK;
}

int x_truncate(sqlite3_file* file, sqlite3_int64 size) {
  if (int rc = write_gathered(as_gathering(file)); rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xTruncate(real(file), size);
}

int x_sync(sqlite3_file* file, int flags) {
  if (int rc = write_gathered(as_gathering(file)); rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xSync(real(file), flags);
}

int x_file_size(sqlite3_file* file, sqlite3_int64* size) {
  if (int rc = write_gathered(as_gathering(file)); rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xFileSize(real(file), size);
}

// Extends the file with zeros up to `size_hint` rounded up to the chunk, 64 KiB a call.
int grow_with_zeros(GatheringFile* file, sqlite3_int64 size_hint) {
  static const std::vector<char> zeros(write_bytes_max, 0);
  sqlite3_int64 size = 0;
  if (int rc = file->real->pMethods->xFileSize(file->real, &size); rc != SQLITE_OK) return rc;
  const sqlite3_int64 target = (size_hint + file->chunk_bytes - 1) / file->chunk_bytes * file->chunk_bytes;
  for (sqlite3_int64 offset = size; offset < target;) {
    const auto bytes = static_cast<int>(std::min<sqlite3_int64>(write_bytes_max, target - offset));
    if (int rc = file->real->pMethods->xWrite(file->real, zeros.data(), bytes, offset); rc != SQLITE_OK) return rc;
    offset += bytes;
  }
  return SQLITE_OK;
}

int x_file_control(sqlite3_file* file, int op, void* arg) {
  GatheringFile* f = as_gathering(file);
  if (int rc = write_gathered(f); rc != SQLITE_OK) return rc;
  if (op == SQLITE_FCNTL_CHUNK_SIZE) f->chunk_bytes = std::max(0, *static_cast<int*>(arg));
  if (op == SQLITE_FCNTL_SIZE_HINT && f->chunk_bytes > 0) {
    if (int rc = grow_with_zeros(f, *static_cast<sqlite3_int64*>(arg)); rc != SQLITE_OK) return rc;
  }
  return f->real->pMethods->xFileControl(f->real, op, arg);
}

int x_fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  if (int rc = write_gathered(as_gathering(file)); rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xFetch(real(file), offset, amount, out);
}

// The rest have nothing to do with the gathered bytes.
int x_lock(sqlite3_file* file, int level) { return real(file)->pMethods->xLock(real(file), level); }
int x_unlock(sqlite3_file* file, int level) { return real(file)->pMethods->xUnlock(real(file), level); }
int x_check_reserved_lock(sqlite3_file* file, int* out) {
  return real(file)->pMethods->xCheckReservedLock(real(file), out);
}
int x_sector_size(sqlite3_file* file) { return real(file)->pMethods->xSectorSize(real(file)); }
int x_device_characteristics(sqlite3_file* file) {
  return real(file)->pMethods->xDeviceCharacteristics(real(file));
}
int x_shm_map(sqlite3_file* file, int region, int size, int extend, void volatile** out) {
  return real(file)->pMethods->xShmMap(real(file), region, size, extend, out);
}
int x_shm_lock(sqlite3_file* file, int offset, int n, int flags) {
  return real(file)->pMethods->xShmLock(real(file), offset, n, flags);
}
// SQLite publishes a commit's frames by writing the WAL index header twice with this barrier
// between; with synchronous=FULL the WAL's sync has already written them, otherwise (OFF,
// NORMAL) this is the last moment. A barrier cannot fail: a failed write is only logged.
void x_shm_barrier(sqlite3_file* file) {
  if (GatheringFile* wal = as_gathering(file)->wal; wal != nullptr) {
    if (int rc = write_gathered(wal); rc != SQLITE_OK) sqlite3_log(rc, "issuerd: WAL write at publication failed");
  }
  real(file)->pMethods->xShmBarrier(real(file));
}
int x_shm_unmap(sqlite3_file* file, int delete_flag) { return real(file)->pMethods->xShmUnmap(real(file), delete_flag); }
int x_unfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  return real(file)->pMethods->xUnfetch(real(file), offset, page);
}

int x_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  GatheringFile* f = as_gathering(file);
  f->real = reinterpret_cast<sqlite3_file*>(f + 1);
  f->gathered = nullptr;
  f->gathered_offset = 0;
  f->wal = f->database = nullptr;
  f->chunk_bytes = 0;
  const int rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK || f->real->pMethods == nullptr) {
    f->base.pMethods = nullptr;  // SQLite then does not call xClose
    return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
  }
  // The default VFS's files speak version 3 of the methods (shared memory, memory maps).
  ISSUERD_ASSERT(f->real->pMethods->iVersion >= 3);
  f->base.pMethods = &methods;
  // A WAL is gathered only when its database file is ours too, whose barrier writes it out.
  sqlite3_file* database = (flags & SQLITE_OPEN_WAL) != 0 ? sqlite3_database_file_object(name) : nullptr;
  if (database != nullptr && database->pMethods == &methods) {
    f->gathered = new std::vector<char>();
    f->database = as_gathering(database);
    f->database->wal = f;
  }
  return SQLITE_OK;
}

void register_vfs() {
  real_vfs = sqlite3_vfs_find(nullptr);
  ISSUERD_ASSERT(real_vfs != nullptr);
  methods = sqlite3_io_methods{.iVersion = 3,
                               .xClose = x_close,
                               .xRead = x_read,
                               .xWrite = x_write,
                               .xTruncate = x_truncate,
                               .xSync = x_sync,
                               .xFileSize = x_file_size,
                               .xLock = x_lock,
                               .xUnlock = x_unlock,
                               .xCheckReservedLock = x_check_reserved_lock,
                               .xFileControl = x_file_control,
                               .xSectorSize = x_sector_size,
                               .xDeviceCharacteristics = x_device_characteristics,
                               .xShmMap = x_shm_map,
                               .xShmLock = x_shm_lock,
                               .xShmBarrier = x_shm_barrier,
                               .xShmUnmap = x_shm_unmap,
                               .xFetch = x_fetch,
                               .xUnfetch = x_unfetch};
  // Everything but opening is the default VFS's own (its functions find what they need
  // through pAppData, which is copied).
  vfs = *real_vfs;
  vfs.pNext = nullptr;
  vfs.zName = vfs_name;
  vfs.szOsFile = static_cast<int>(sizeof(GatheringFile)) + real_vfs->szOsFile;
  vfs.xOpen = x_open;
  const int registered = sqlite3_vfs_register(&vfs, 0);
  ISSUERD_ASSERT(registered == SQLITE_OK);
}

}  // namespace

const char* gathering_vfs_name() {
  static std::once_flag registered;
  std::call_once(registered, [] {
    (void)install_page_cache();  // before register_vfs, whose sqlite3_vfs_find initialises SQLite
    // SQLite counts every allocation under one process-wide mutex, for sqlite3_memory_used()
    // and the soft heap limit, which issuerd uses neither of. Also only before it initialises.
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    register_vfs();
  });
  return vfs_name;
}

void grow_in_chunks(sqlite3* db) {
  int chunk_bytes = database_chunk_bytes;
  (void)sqlite3_file_control(db, "main", SQLITE_FCNTL_CHUNK_SIZE, &chunk_bytes);
}

}  // namespace issuerd::storage
