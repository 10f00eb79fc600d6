#include "engine/writer.h"

#include <chrono>
#include <exception>
#include <future>

#include "common/assert.h"
#include "common/log.h"

namespace issuerd::engine {

Writer::Writer(std::unique_ptr<storage::Connection> connection, Metrics& metrics, WriterLimits limits)
    : connection_(std::move(connection)), store_(*connection_, &write_behind_), metrics_(metrics), limits_(limits) {}

Writer::~Writer() { stop(); }

void Writer::start() {
  std::lock_guard lock(mutex_);
  ISSUERD_ASSERT(!started_);
  started_ = true;
  thread_ = std::thread([this] { loop(); });
}

void Writer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Writer::submit(Command command) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || !started_ || queue_.size() >= limits_.queue_commands_max) return false;
    queue_.push_back(std::move(command));
  }
  wake_.notify_one();
  return true;
}

bool Writer::run_now(const std::function<bool(storage::Store&)>& fn) {
  std::promise<bool> committed;
  auto kept = std::make_shared<bool>(false);
  Command command;
  command.apply = [&fn, kept](storage::Store& store) { return *kept = fn(store); };
  command.done = [&committed, kept](bool durable) { committed.set_value(durable && *kept); };
  if (!submit(std::move(command))) return false;
  return committed.get_future().get();
}

void Writer::loop() {
  std::deque<Command> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to do
      while (!queue_.empty() && batch.size() < limits_.batch_commands_max) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    apply_batch(batch);
    batch.clear();
  }
}

void Writer::apply_batch(std::deque<Command>& batch) {
  const auto started = std::chrono::steady_clock::now();
  bool durable = connection_->begin().ok();
  if (!durable) log::error("begin_failed", {});
  if (durable) durable = prefetch_idempotency_keys(batch);
  for (Command& command : batch) {
    if (!durable) break;
    durable = command.hot ? run_hot(command) : run_in_savepoint(command);
  }
  if (durable) durable = write_back_and_commit();
  if (!durable) {
    (void)connection_->rollback();
    store_.drop_cache();  // it holds what the rolled-back transaction wrote
  }
  write_behind_.idempotency.clear();  // valid for one batch only
  if (store_.cached_card_count() > storage::WriteBehind::cached_cards_max) store_.drop_cache();
  const auto elapsed_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
  if (durable) metrics_.record_commit(elapsed_us, batch.size());
  for (Command& command : batch) command.done(durable);
}

bool Writer::prefetch_idempotency_keys(const std::deque<Command>& batch) {
  std::vector<storage::IdempotencyKeyRef> keys;
  for (const Command& command : batch) {
    if (command.hot && command.idempotency_key) keys.push_back(*command.idempotency_key);
  }
  if (keys.empty()) return true;
  Status fetched = store_.prefetch_idempotent_responses(std::move(keys));
  if (!fetched.ok()) log::error("idempotency_prefetch_failed", {{"reason", fetched.error().reason}});
  return fetched.ok();
}

bool Writer::run_hot(Command& command) {
  ISSUERD_ASSERT(!command.admit);  // a hot command has no savepoint to keep an admit's writes apart
  if (Status warm = store_.warm_cache(); !warm.ok()) {
    log::error("cache_warm_failed", {{"reason", warm.error().reason}});
    return false;
  }
  const std::uint64_t mutations_before = store_.cache_mutations();
  bool keep = false;
  store_.set_hot(true);
  try {
    keep = command.apply(store_);
  } catch (const std::exception& e) {
    log::error("command_exception", {{"what", e.what()}});
  }
  store_.set_hot(false);
  if (keep || store_.cache_mutations() == mutations_before) return true;
  // Changed cached rows, then failed: only a database error gets here, and nothing it
  // buffered can be taken back alone.
  log::error("hot_command_failed_after_changes", {});
  return false;
}

bool Writer::run_in_savepoint(Command& command) {
  storage::Connection& db = *connection_;
  // Earlier hot commands' rows go in first, outside this command's savepoint, so that its
  // rollback cannot take them along; and it must see (and may change) the real rows.
  // What it writes itself, the cache forgets (write_behind.h).
  Status ready = command.changes_cached_rows ? store_.write_back() : store_.flush_buffered_inserts();
  if (!ready.ok()) {
    log::error("write_back_failed", {{"reason", ready.error().reason}});
    return false;
  }
  if (command.admit) {
    bool admitted = false;
    try {
      admitted = command.admit(store_);
    } catch (const std::exception& e) {
      log::error("command_exception", {{"what", e.what()}});
    }
    if (!admitted) return true;
  }
  // A failed savepoint means the transaction itself is broken: the whole batch fails.
  if (!db.savepoint("command").ok()) return false;
  bool keep = false;
  try {
    keep = command.apply(store_);
  } catch (const std::exception& e) {
    log::error("command_exception", {{"what", e.what()}});
  }
  Status settled = keep ? db.release_savepoint("command") : db.rollback_to_savepoint("command");
  if (settled.ok() && !keep) settled = db.release_savepoint("command");
  return settled.ok();
}

bool Writer::write_back_and_commit() {
  Status written = store_.write_back();
  if (!written.ok()) {
    log::error("write_back_failed", {{"reason", written.error().reason}, {"message", written.error().message}});
    return false;
  }
  Status committed = connection_->commit();
  if (!committed.ok()) {
    log::error("commit_failed", {{"reason", committed.error().reason}, {"message", committed.error().message}});
    return false;
  }
  return true;
}

}  // namespace issuerd::engine
