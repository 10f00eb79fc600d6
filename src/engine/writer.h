// The single writer (DESIGN.md): every state change goes through one thread that owns the
// write connection. Requests queue to it; it applies everything queued since its last
// commit as one batch in one transaction, each command in its own savepoint, commits once,
// and only then tells each command whether its writes are durable. No timer wait: a batch
// is whatever arrived while the previous one was being applied and committed.
//
// On PostgreSQL (Connection::commits_in_background) a batch's write-back and COMMIT go out
// in one pipeline without waiting, and the writer applies the next batch meanwhile, on the
// cache the first one left, with its idempotency keys looked up on a second connection.
// Hot commands that arrive while the first commit is still in flight join the second batch.
// Before sending it, it waits for the first commit: if that failed, the second batch fails
// too. Only after a batch of hot commands does the next one start early (an ordinary
// command may write idempotency keys the cache does not know).
#pragma once

#include <chrono>
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

  // Called after each durable batch that queued a deliverable callback (the outbox's
  // deliverer wakes): once per batch, from the writer, instead of once per request. Set
  // before start().
  void on_callbacks_queued(std::function<void()> wake);
  // The writer thread's nice value (setpriority; Linux keeps one per thread), set when it
  // starts. The writer is the one serial step of every write: at -10 it takes a core as soon
  // as it can run, ahead of the I/O threads (docs/benchmarks.md, the fourteenth session).
  // A negative value needs CAP_SYS_NICE; without it the thread logs and stays as it is. Set
  // before start(); 0 leaves the thread alone.
  void set_thread_nice(int nice);
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
  void take_thread_nice();
  void loop();
  void apply_batch(std::deque<Command>& batch);
  // Moves queued commands into `into` up to `commands_max`, stopping at the first ordinary
  // one when `hot_only`. The caller holds mutex_.
  void take_queued(std::deque<Command>& into, std::size_t commands_max, bool hot_only);
  // Each returns false when the batch can no longer commit.
  // While the commit in flight has not finished, hot commands queued meanwhile join the batch.
  bool top_up(std::deque<Command>& batch);
  bool prefetch_idempotency_keys(const std::deque<Command>& batch, bool joining_batch = false);
  // Runs the commands in order, stopping at the first that leaves the batch unable to commit.
  bool run_commands(std::deque<Command>& commands);
  bool run_hot(Command& command);
  bool run_in_savepoint(Command& command);
  // Waits for the batch in flight to commit and answers it; false when its commit failed.
  bool settle_in_flight();
  void fail_batch(std::deque<Command>& batch, std::chrono::steady_clock::time_point started);
  // `callbacks_queued`: the batch inserted a deliverable callback (on_callbacks_queued).
  void finish(std::deque<Command>& batch, std::chrono::steady_clock::time_point started, bool durable,
              bool callbacks_queued = false);

  std::unique_ptr<storage::Connection> connection_;
  // PostgreSQL: the idempotency lookups go here while a commit is in flight on connection_.
  std::unique_ptr<storage::Connection> prefetch_connection_;
  storage::WriteBehind write_behind_;
  storage::Store store_;
  Metrics& metrics_;
  WriterLimits limits_;
  std::function<void()> callbacks_queued_;
  int thread_nice_ = 0;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Command> queue_;
  bool stopping_ = false;
  bool started_ = false;
  std::thread thread_;
  // The batch whose commit is in flight (PostgreSQL), answered once it is settled.
  std::deque<Command> in_flight_;
  std::chrono::steady_clock::time_point in_flight_started_;
  bool in_flight_all_hot_ = true;
  bool in_flight_queued_callbacks_ = false;
};

}  // namespace issuerd::engine
