// Read-only connections for request threads, so readers never wait on the writer (SQLite
// WAL readers and PostgreSQL sessions both see the last committed state). Thread-safe.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "storage/connection.h"
#include "storage/store.h"

namespace issuerd::storage {

class ReaderPool {
 public:
  // Opens `size` connections up front; fails if any cannot be opened.
  static Result<std::unique_ptr<ReaderPool>> open(const DatabaseUrl& url, std::size_t size);

  // Borrows a connection for the duration of `fn` (waiting while all are busy).
  template <typename Fn>
  auto with_store(Fn&& fn) {
    std::unique_ptr<Connection> connection = acquire();
    Store store(*connection);
    struct Return {
      ReaderPool* pool;
      std::unique_ptr<Connection>* connection;
      ~Return() { pool->release(std::move(*connection)); }
    } give_back{this, &connection};
    return fn(store);
  }

 private:
  std::unique_ptr<Connection> acquire();
  void release(std::unique_ptr<Connection> connection);

  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace issuerd::storage
