// Runs durable jobs (the `jobs` table) in the background: each due job is applied on the
// writer, in one transaction with marking it done, so a job that committed never runs
// again and one that did not is found again after a restart. A handler that fails is
// retried with exponential backoff (1 s doubling, capped at 5 min) and marked failed after
// attempts_max.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "api/shared/services.h"
#include "storage/job_store.h"

namespace issuerd::jobs {

// Applies one job. Runs on the writer thread inside the job's transaction. An error rolls
// back the handler's writes and schedules a retry; an expected business outcome (an
// application refused) is a success that the handler records itself.
using JobHandler = std::function<Status(storage::Store&, const storage::JobRecord&, std::int64_t now_ms)>;

struct JobLimits {
  std::int64_t poll_interval_ms = 200;
  std::int64_t batch_max = 64;
  std::int64_t attempts_max = 10;
};

// A new pending job for `subject_id`, due at once. Call inside the command that needs it.
Status enqueue_job(storage::Store& store, const std::string& kind, const std::string& subject_id, std::int64_t now_ms);

class JobRunner {
 public:
  explicit JobRunner(api::Services& services, JobLimits limits = {});
  ~JobRunner();
  void add_handler(std::string kind, JobHandler handler);  // before start()
  void start();
  void stop();
  void wake();

 private:
  void loop();
  void run_due_jobs();
  void run_one(const storage::JobRecord& job);

  api::Services& services_;
  JobLimits limits_;
  std::map<std::string, JobHandler> handlers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool woken_ = false;
  bool stopping_ = false;
  std::set<std::string> in_flight_;  // job ids submitted to the writer, not yet settled
  std::thread thread_;
};

}  // namespace issuerd::jobs
