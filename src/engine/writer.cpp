#include "engine/writer.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <future>
#include <iterator>

#include "common/assert.h"
#include "common/log.h"

namespace issuerd::engine {

Writer::Writer(std::unique_ptr<storage::Connection> connection, Metrics& metrics, WriterLimits limits)
    : connection_(std::move(connection)), store_(*connection_, &write_behind_), metrics_(metrics), limits_(limits) {}

Writer::~Writer() { stop(); }

void Writer::on_callbacks_queued(std::function<void()> wake) {
  std::lock_guard lock(mutex_);
  ISSUERD_ASSERT(!started_);  // the writer's thread reads it without the lock
  callbacks_queued_ = std::move(wake);
}

void Writer::set_thread_nice(int nice) {
  std::lock_guard lock(mutex_);
  ISSUERD_ASSERT(!started_);
  thread_nice_ = nice;
}

void Writer::start() {
  std::lock_guard lock(mutex_);
  ISSUERD_ASSERT(!started_);
  started_ = true;
  if (connection_->commits_in_background()) {
    // Without a second connection the batches simply do not overlap.
    auto another = connection_->open_another();
    if (another.ok()) {
      prefetch_connection_ = std::move(another).value();
    } else {
      log::error("prefetch_connection_failed", {{"reason", another.error().reason}});
    }
  }
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

// On the writer's thread: Linux keeps a nice value per thread.
void Writer::take_thread_nice() {
  if (thread_nice_ == 0) return;
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), thread_nice_) == 0) {
    log::info("writer_nice", {{"nice", thread_nice_}});
  } else {
    log::warn("writer_nice_not_set", {{"nice", thread_nice_}, {"reason", std::strerror(errno)}});
  }
}

void Writer::loop() {
  take_thread_nice();
  std::deque<Command> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (queue_.empty() && !in_flight_.empty()) {
        lock.unlock();
        settle_in_flight();  // nothing to overlap it with
        continue;
      }
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to do
      take_queued(batch, limits_.batch_commands_max, /*hot_only=*/false);
    }
    apply_batch(batch);
    batch.clear();
  }
}

void Writer::apply_batch(std::deque<Command>& batch) {
  const auto started = std::chrono::steady_clock::now();
  const bool all_hot = std::all_of(batch.begin(), batch.end(), [](const Command& c) { return c.hot; });
  const std::uint64_t callbacks_before = store_.deliverable_callbacks_inserted();
  // The batch in flight must be settled before this one's prefetch, unless only hot
  // commands wrote it: then every idempotency key it wrote is in the cache.
  if (!in_flight_all_hot_) settle_in_flight();
  bool durable = connection_->begin().ok();
  if (!durable) log::error("begin_failed", {});
  if (durable) durable = prefetch_idempotency_keys(batch) && run_commands(batch);
  if (durable) durable = top_up(batch);
  // This batch was applied to a cache holding the one in flight: it can only commit if that did.
  if (!settle_in_flight()) durable = false;
  if (durable) {
    store_.write_back_and_send_commit();
    in_flight_ = std::move(batch);
    in_flight_started_ = started;
    in_flight_all_hot_ = all_hot;
    in_flight_queued_callbacks_ = store_.deliverable_callbacks_inserted() != callbacks_before;
    if (!connection_->commits_in_background() || prefetch_connection_ == nullptr) settle_in_flight();
  } else {
    fail_batch(batch, started);
  }
  // Only between batches: a batch's rows live in the cache until they are sent. Reloading
  // waits for the commit in flight, so it reads what that commit wrote.
  if (store_.cached_card_count() > storage::WriteBehind::cached_cards_max) store_.drop_cache();
}

bool Writer::settle_in_flight() {
  if (in_flight_.empty()) return true;
  const Status committed = connection_->finish_commit();
  const bool durable = committed.ok();
  if (!durable) {
    log::error("commit_failed", {{"reason", committed.error().reason}, {"message", committed.error().message}});
    store_.drop_cache();  // it holds what the failed transaction wrote
  }
  finish(in_flight_, in_flight_started_, durable, in_flight_queued_callbacks_);
  in_flight_.clear();
  in_flight_all_hot_ = true;
  in_flight_queued_callbacks_ = false;
  return durable;
}

void Writer::fail_batch(std::deque<Command>& batch, std::chrono::steady_clock::time_point started) {
  (void)connection_->rollback();
  store_.drop_cache();  // it holds what the rolled-back transaction wrote
  finish(batch, started, false);
}

void Writer::finish(std::deque<Command>& batch, std::chrono::steady_clock::time_point started, bool durable,
                    bool callbacks_queued) {
  const auto elapsed_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
  if (durable) metrics_.record_commit(elapsed_us, batch.size());
  if (durable && callbacks_queued && callbacks_queued_) callbacks_queued_();
  for (Command& command : batch) command.done(durable);
}

void Writer::take_queued(std::deque<Command>& into, std::size_t commands_max, bool hot_only) {
  while (!queue_.empty() && into.size() < commands_max && (!hot_only || queue_.front().hot)) {
    into.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
}

bool Writer::top_up(std::deque<Command>& batch) {
  // Only hot commands: an ordinary one would write the cache's rows back now, which waits
  // for the commit in flight.
  while (!in_flight_.empty() && connection_->commit_in_flight()) {
    std::deque<Command> joining;
    {
      std::lock_guard lock(mutex_);
      take_queued(joining, limits_.batch_commands_max - batch.size(), /*hot_only=*/true);
    }
    if (joining.empty()) return true;
    const bool durable = prefetch_idempotency_keys(joining, /*joining_batch=*/true) && run_commands(joining);
    std::move(joining.begin(), joining.end(), std::back_inserter(batch));
    if (!durable) return false;
  }
  return true;
}

bool Writer::run_commands(std::deque<Command>& commands) {
  for (Command& command : commands) {
    if (!(command.hot ? run_hot(command) : run_in_savepoint(command))) return false;
  }
  return true;
}

bool Writer::prefetch_idempotency_keys(const std::deque<Command>& batch, bool joining_batch) {
  std::vector<storage::IdempotencyKeyRef> keys;
  for (const Command& command : batch) {
    if (command.hot && command.idempotency_key) keys.push_back(*command.idempotency_key);
  }
  if (keys.empty()) return true;
  // On the second connection when there is one: this one may have a commit in flight.
  Status fetched = store_.prefetch_idempotent_responses(std::move(keys), prefetch_connection_.get(), joining_batch);
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

}  // namespace issuerd::engine
