#include "storage/job_store.h"

#include "storage/sql_values.h"

namespace issuerd::storage {

namespace {
constexpr const char* job_columns =
    "job_id, kind, subject_id, status, attempts, next_run_at_ms, last_error, created_at_ms, updated_at_ms";

JobRecord job_from(const Row& row) {
  return JobRecord{row.text(0), row.text(1), row.text(2), row.text(3), row.integer(4),
                   row.integer(5), row.optional_text(6), row.integer(7), row.integer(8)};
}
}  // namespace

Status JobStore::insert(const JobRecord& j) {
  ISSUERD_TRY(run_execute(db_, std::string("INSERT INTO jobs (") + job_columns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          {j.job_id, j.kind, j.subject_id, j.status, j.attempts, j.next_run_at_ms,
                           nullable(j.last_error), j.created_at_ms, j.updated_at_ms}));
  return Status::success();
}

Status JobStore::update(const JobRecord& j) {
  ISSUERD_TRY(run_execute(db_, "UPDATE jobs SET status = ?, attempts = ?, next_run_at_ms = ?, last_error = ?, "
                               "updated_at_ms = ? WHERE job_id = ?",
                          {j.status, j.attempts, j.next_run_at_ms, nullable(j.last_error), j.updated_at_ms, j.job_id}));
  return Status::success();
}

Result<std::optional<JobRecord>> JobStore::find(const std::string& job_id) {
  ISSUERD_ASSIGN(auto rows, run_query(db_, std::string("SELECT ") + job_columns + " FROM jobs WHERE job_id = ?", {job_id}));
  if (rows.empty()) return std::optional<JobRecord>();
  return std::optional<JobRecord>(job_from(rows[0]));
}

Result<std::vector<JobRecord>> JobStore::due(std::int64_t now_ms, std::int64_t limit) {
  ISSUERD_ASSIGN(auto rows, run_query(db_, std::string("SELECT ") + job_columns +
                                               " FROM jobs WHERE status = 'pending' AND next_run_at_ms <= ? "
                                               "ORDER BY next_run_at_ms, job_id LIMIT ?",
                                      {now_ms, limit}));
  std::vector<JobRecord> jobs;
  for (const Row& row : rows) jobs.push_back(job_from(row));
  return jobs;
}

}  // namespace issuerd::storage
