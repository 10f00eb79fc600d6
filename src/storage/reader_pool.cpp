#include "storage/reader_pool.h"

namespace issuerd::storage {

Result<std::unique_ptr<ReaderPool>> ReaderPool::open(const DatabaseUrl& url, std::size_t size) {
  auto pool = std::make_unique<ReaderPool>();
  for (std::size_t i = 0; i < size; ++i) {
    ISSUERD_ASSIGN(auto connection, open_connection(url));
    pool->idle_.push_back(std::move(connection));
  }
  return pool;
}

std::unique_ptr<Connection> ReaderPool::acquire() {
  std::unique_lock lock(mutex_);
  available_.wait(lock, [this] { return !idle_.empty(); });
  auto connection = std::move(idle_.back());
  idle_.pop_back();
  return connection;
}

void ReaderPool::release(std::unique_ptr<Connection> connection) {
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(connection));
  }
  available_.notify_one();
}

}  // namespace issuerd::storage
