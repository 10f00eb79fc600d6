// Budget quotas on the ledger: funding in and out of the merchant's main account, what the
// quota shows, and the daily over-limit fee.
//
// over_limit = available_card_tx_quota - available_quota_balance: the unspent card limits
// beyond the money that backs them. When positive, the day's fee is over_limit x the
// product's over_limit_fee_rate_daily (rounded half up), moved from the quota to fee
// revenue. A quota short of the fee pays what it has; the rest is owed and taken first
// from its next funding.
#pragma once

#include <cstdint>
#include <string>

#include "storage/store.h"

namespace issuerd::engine {

struct QuotaView {
  storage::BudgetQuotaRecord quota;
  std::int64_t available_minor = 0;        // available_quota_balance
  std::int64_t held_minor = 0;             // outgoing_quota_balance
  std::int64_t used_minor = 0;             // total_usage_quota_balance
  storage::QuotaCardTotals cards;          // available_card_tx_quota, total_card_tx_quota, count
};

Result<QuotaView> view_quota(storage::Store& store, const storage::BudgetQuotaRecord& quota, std::int64_t now_ms);

// Positive: main account -> quota (short: "insufficient_balance"). Negative: quota -> main
// account, never below what is held or owed ("quota_min_check_fail"). A frozen quota
// refuses both ("quota_frozen").
Result<storage::QuotaOrderRecord> adjust_quota(storage::Store& store, storage::BudgetQuotaRecord quota,
                                               std::int64_t amount_minor, const std::string& request_id,
                                               const std::optional<std::string>& remark, std::int64_t now_ms);

struct DailyFee {
  std::int64_t over_limit_minor = 0;
  std::int64_t fee_minor = 0;
  std::int64_t charged_minor = 0;
  bool already_charged = false;
};

// Settles one quota's fee for `day` (YYYY-MM-DD) once; a second call is a no-op.
Result<DailyFee> charge_daily_fee(storage::Store& store, storage::BudgetQuotaRecord quota, const std::string& day,
                                  std::int64_t now_ms);

}  // namespace issuerd::engine
