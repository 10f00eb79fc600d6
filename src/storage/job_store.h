// Durable background jobs: written with the request that needs them, run by jobs/ until
// done, and found again after a restart.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/connection.h"

namespace issuerd::storage {

struct JobRecord {
  std::string job_id;
  std::string kind;        // card_application, ...
  std::string subject_id;  // what it works on (an apply_id, ...)
  std::string status;      // pending | done | failed
  std::int64_t attempts = 0;
  std::int64_t next_run_at_ms = 0;
  std::optional<std::string> last_error;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

class JobStore {
 public:
  explicit JobStore(Connection& connection) : db_(connection) {}
  Status insert(const JobRecord& job);
  Status update(const JobRecord& job);  // status, attempts, next_run_at_ms, last_error, updated_at_ms
  Result<std::optional<JobRecord>> find(const std::string& job_id);
  // Pending jobs with next_run_at_ms <= now_ms, oldest first.
  Result<std::vector<JobRecord>> due(std::int64_t now_ms, std::int64_t limit);

 private:
  Connection& db_;
};

}  // namespace issuerd::storage
