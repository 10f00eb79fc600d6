// The daily over-limit fee of budget quotas (engine/quotas.h). At 00:00 UTC (business
// clock) the day that just ended is settled for every quota. The last settled day is kept
// in the settings table, so days missed while the server was down are settled at the next
// start (with the quotas as they are then: issuerd keeps no history of past limits), and a
// quota's day is never charged twice (quota_fee_days). On the first start ever nothing
// before it is charged.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/shared/services.h"
#include "engine/quotas.h"

namespace issuerd::jobs {

struct QuotaFeeResult {
  std::string share_quota_id;
  std::string currency;
  engine::DailyFee fee;
};

// Settles `day` (YYYY-MM-DD) for every quota; quotas already settled that day report so.
Result<std::vector<QuotaFeeResult>> run_daily_fees(storage::Store& store, const std::string& day, std::int64_t now_ms);

// YYYY-MM-DD of a moment (UTC), and the moment a day starts; invalid_argument on a bad day.
std::string day_of(std::int64_t unix_ms);
Result<std::int64_t> day_start_ms(const std::string& day);

class DailyFeeScheduler {
 public:
  explicit DailyFeeScheduler(api::Services& services, std::int64_t poll_interval_ms = 1000);
  ~DailyFeeScheduler();
  void start();
  void stop();

 private:
  void loop();
  void settle_missed_days();

  api::Services& services_;
  std::int64_t poll_interval_ms_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace issuerd::jobs
