// The single writer (DESIGN.md): every state change goes through one thread that owns the
// write connection. Requests queue to it; it applies everything queued since its last
// commit as one batch in one transaction, each command in its own savepoint, commits once,
// and only then tells each command whether its writes are durable. No timer wait: a batch
// is whatever arrived while the previous commit was running.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "common/metrics.h"
#include "storage/connection.h"
#include "storage/store.h"

namespace issuerd::engine {

struct Command {
  // Optional. Runs first, outside the command's savepoint, so its writes stay even when
  // apply's are rolled back (a MusePay nonce is spent whether or not the request succeeds).
  // Returning false skips apply; the command has then recorded its own refusal.
  std::function<bool(storage::Store&)> admit;
  // Runs on the writer thread inside the batch transaction, in its own savepoint. Returns
  // true to keep its writes, false to roll them back (an expected failure: the command
  // records its own answer). An exception counts as false and is logged.
  std::function<bool(storage::Store&)> apply;
  // Runs on the writer thread once the batch is over: durable=true after a successful
  // commit, false when the commit failed and every write of the batch is gone.
  std::function<void(bool durable)> done;

  // Hot commands (simulator authorizations) run on the writer's cached rows
  // (storage/write_behind.h) without a savepoint of their own, so they must change nothing
  // when they return false. One that changes rows and then fails fails its whole batch.
  bool hot = false;
  // A hot command's idempotency key: the batch looks all of them up in one query.
  std::optional<storage::IdempotencyKeyRef> idempotency_key;
  // False for a command that reads and changes none of the cached rows (outbox
  // bookkeeping): the cache's dirty rows need not be written back before it.
  bool changes_cached_rows = true;
};

struct WriterLimits {
  std::size_t batch_commands_max = 8190;
  std::size_t queue_commands_max = 65536;  // beyond: submit() refuses (the caller answers 503)
};

class Writer {
 public:
  Writer(std::unique_ptr<storage::Connection> connection, Metrics& metrics, WriterLimits limits = {});
  ~Writer();  // stops and joins
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void start();
  // Finishes the commands already queued, then ends the thread. Later submits are refused.
  void stop();
  // Queues a command; false when the queue is full or the writer is stopped.
  bool submit(Command command);

  // Runs `fn` on the writer thread inside its own transaction and waits for it; for
  // start-up work that must happen before requests arrive (tests, --demo). Returns false
  // when the transaction did not commit.
  bool run_now(const std::function<bool(storage::Store&)>& fn);

 private:
  void loop();
  void apply_batch(std::deque<Command>& batch);
  // Each returns false when the batch can no longer commit.
  bool prefetch_idempotency_keys(const std::deque<Command>& batch);
  bool run_hot(Command& command);
  bool run_in_savepoint(Command& command);
  bool write_back_and_commit();

  std::unique_ptr<storage::Connection> connection_;
  storage::WriteBehind write_behind_;
  storage::Store store_;
  Metrics& metrics_;
  WriterLimits limits_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Command> queue_;
  bool stopping_ = false;
  bool started_ = false;
  std::thread thread_;
};

}  // namespace issuerd::engine
