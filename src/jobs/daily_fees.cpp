#include "jobs/daily_fees.h"

#include "common/clock.h"
#include "common/log.h"

namespace issuerd::jobs {

namespace {
constexpr std::int64_t day_ms = 86'400'000;
constexpr const char* last_day_setting = "daily_fees_last_day";
}  // namespace

std::string day_of(std::int64_t unix_ms) { return format_rfc3339_ms(unix_ms).substr(0, 10); }

Result<std::int64_t> day_start_ms(const std::string& day) {
  auto start = parse_rfc3339_ms(day + "T00:00:00Z");
  if (day.size() != 10 || !start.ok() || day_of(*start) != day) {
    return make_error(ErrorKind::invalid_argument, "invalid_date", "date must be YYYY-MM-DD", "date");
  }
  return *start;
}

Result<std::vector<QuotaFeeResult>> run_daily_fees(storage::Store& store, const std::string& day, std::int64_t now_ms) {
  ISSUERD_ASSIGN(auto quotas, store.quotas().all());
  std::vector<QuotaFeeResult> results;
  for (const auto& quota : quotas) {
    ISSUERD_ASSIGN(engine::DailyFee fee, engine::charge_daily_fee(store, quota, day, now_ms));
    results.push_back({quota.share_quota_id, quota.currency, fee});
  }
  return results;
}

DailyFeeScheduler::DailyFeeScheduler(api::Services& services, std::int64_t poll_interval_ms)
    : services_(services), poll_interval_ms_(poll_interval_ms) {}

DailyFeeScheduler::~DailyFeeScheduler() { stop(); }

void DailyFeeScheduler::start() { thread_ = std::thread([this] { loop(); }); }

void DailyFeeScheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DailyFeeScheduler::loop() {
  for (;;) {
    settle_missed_days();
    std::unique_lock lock(mutex_);
    if (wake_.wait_for(lock, std::chrono::milliseconds(poll_interval_ms_), [this] { return stopping_; })) return;
  }
}

// Settles every whole day since the last settled one, each day in its own transaction.
void DailyFeeScheduler::settle_missed_days() {
  const std::string yesterday = day_of(services_.clock.now_ms() - day_ms);
  // A cheap look on a reader first: the writer is asked only when a day is due.
  auto settled = services_.readers.with_store([](storage::Store& store) { return store.quotas().setting(last_day_setting); });
  if (settled.ok() && *settled && **settled >= yesterday) return;
  services_.writer.run_now([&](storage::Store& store) {
    auto last = store.quotas().setting(last_day_setting);
    if (!last.ok()) return false;
    if (!*last) return store.quotas().set_setting(last_day_setting, yesterday).ok();  // first start: no history
    if (**last >= yesterday) return false;  // nothing to do (and nothing to commit)
    auto start = day_start_ms(**last);
    if (!start.ok()) return false;
    const std::string day = day_of(*start + day_ms);
    auto results = run_daily_fees(store, day, services_.clock.now_ms());
    if (!results.ok()) {
      log::error("daily_fees_failed", {{"day", day}, {"reason", results.error().reason}});
      return false;
    }
    log::info("daily_fees_settled", {{"day", day}, {"quotas", static_cast<std::int64_t>(results->size())}});
    return store.quotas().set_setting(last_day_setting, day).ok();
  });
}

}  // namespace issuerd::jobs
