#include "jobs/job_runner.h"

#include <algorithm>
#include <memory>

#include "common/ids.h"
#include "common/log.h"

namespace issuerd::jobs {

Status enqueue_job(storage::Store& store, const std::string& kind, const std::string& subject_id, std::int64_t now_ms) {
  // Due at once: jobs run by the wall clock, whatever (test) clock the caller's now_ms is on.
  return store.jobs().insert(storage::JobRecord{next_id(), kind, subject_id, "pending", 0, 0, std::nullopt, now_ms, now_ms});
}

JobRunner::JobRunner(api::Services& services, JobLimits limits) : services_(services), limits_(limits) {}

JobRunner::~JobRunner() { stop(); }

void JobRunner::add_handler(std::string kind, JobHandler handler) { handlers_[std::move(kind)] = std::move(handler); }

void JobRunner::start() { thread_ = std::thread([this] { loop(); }); }

void JobRunner::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void JobRunner::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

void JobRunner::loop() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, std::chrono::milliseconds(limits_.poll_interval_ms), [this] { return stopping_ || woken_; });
      if (stopping_) return;
      woken_ = false;
    }
    run_due_jobs();
  }
}

void JobRunner::run_due_jobs() {
  // Jobs are due by wall time: a test clock frozen in the past must not stall them.
  const std::int64_t now_ms = wall_clock_ms();
  auto due = services_.readers.with_store(
      [&](storage::Store& store) { return store.jobs().due(now_ms, limits_.batch_max); });
  if (!due.ok()) {
    log::warn("jobs_poll_failed", {{"reason", due.error().reason}});
    return;
  }
  for (const storage::JobRecord& job : *due) {
    {
      std::lock_guard lock(mutex_);
      if (!in_flight_.insert(job.job_id).second) continue;
    }
    run_one(job);
  }
}

void JobRunner::run_one(const storage::JobRecord& job) {
  auto handler = handlers_.find(job.kind);
  auto failure = std::make_shared<std::optional<Error>>();
  engine::Command command;
  command.apply = [this, job_id = job.job_id, handler, failure](storage::Store& store) {
    auto current = store.jobs().find(job_id);
    if (!current.ok() || !*current || (*current)->status != "pending") return false;  // settled meanwhile
    storage::JobRecord record = **current;
    if (handler == handlers_.end()) {
      *failure = make_error(ErrorKind::internal, "no_job_handler", "no handler for job kind " + record.kind);
      return false;
    }
    const std::int64_t now_ms = services_.clock.now_ms();
    Status done = handler->second(store, record, now_ms);
    if (!done.ok()) {
      *failure = done.error();
      return false;
    }
    record.status = "done";
    record.attempts += 1;
    record.updated_at_ms = wall_clock_ms();
    return store.jobs().update(record).ok();
  };
  command.done = [this, job, failure](bool durable) {
    if (failure->has_value() || !durable) {
      const Error error = failure->has_value() ? **failure : make_error(ErrorKind::unavailable, "commit_failed", "");
      engine::Command record_failure;
      record_failure.apply = [this, job, error](storage::Store& store) {
        storage::JobRecord record = job;
        record.attempts += 1;
        const std::int64_t backoff_ms = std::min<std::int64_t>(1000LL << std::min<std::int64_t>(record.attempts, 20), 300000);
        record.next_run_at_ms = wall_clock_ms() + backoff_ms;
        record.status = record.attempts >= limits_.attempts_max ? "failed" : "pending";
        record.last_error = error.reason + ": " + error.message;
        record.updated_at_ms = wall_clock_ms();
        log::warn("job_failed", {{"job_id", job.job_id}, {"kind", job.kind}, {"reason", error.reason},
                                 {"attempts", record.attempts}});
        return store.jobs().update(record).ok();
      };
      record_failure.done = [this, job_id = job.job_id](bool) {
        std::lock_guard lock(mutex_);
        in_flight_.erase(job_id);
      };
      if (services_.writer.submit(std::move(record_failure))) return;
    }
    std::lock_guard lock(mutex_);
    in_flight_.erase(job.job_id);
  };
  if (!services_.writer.submit(std::move(command))) {
    std::lock_guard lock(mutex_);
    in_flight_.erase(job.job_id);
  }
}

}  // namespace issuerd::jobs
