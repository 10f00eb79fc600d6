#include "engine/writer.h"

#include <chrono>
#include <exception>
#include <future>

#include "common/assert.h"
#include "common/log.h"

namespace issuerd::engine {

Writer::Writer(std::unique_ptr<storage::Connection> connection, Metrics& metrics, WriterLimits limits)
    : connection_(std::move(connection)), store_(*connection_), metrics_(metrics), limits_(limits) {}

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
  storage::Connection& db = *connection_;
  bool durable = db.begin().ok();
  if (durable) {
    for (Command& command : batch) {
      if (command.admit) {
        bool admitted = false;
        try {
          admitted = command.admit(store_);
        } catch (const std::exception& e) {
          log::error("command_exception", {{"what", e.what()}});
        }
        if (!admitted) continue;
      }
      // A failed savepoint means the transaction itself is broken: the whole batch fails.
      if (!db.savepoint("command").ok()) { durable = false; break; }
      bool keep = false;
      try {
        keep = command.apply(store_);
      } catch (const std::exception& e) {
        log::error("command_exception", {{"what", e.what()}});
      }
      Status settled = keep ? db.release_savepoint("command")
                            : db.rollback_to_savepoint("command");
      if (settled.ok() && !keep) settled = db.release_savepoint("command");
      if (!settled.ok()) { durable = false; break; }
    }
    if (durable) {
      Status committed = db.commit();
      if (!committed.ok()) {
        log::error("commit_failed", {{"reason", committed.error().reason}, {"message", committed.error().message}});
        durable = false;
      }
    }
    if (!durable) (void)db.rollback();
  } else {
    log::error("begin_failed", {});
  }
  const auto elapsed_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
  if (durable) metrics_.record_commit(elapsed_us, batch.size());
  for (Command& command : batch) command.done(durable);
}

}  // namespace issuerd::engine
