// Budget quotas, their history and their daily fees.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/connection.h"

namespace issuerd::storage {

struct WriteBehind;  // write_behind.h

struct BudgetQuotaRecord {
  std::string share_quota_id;
  std::string merchant_id;
  std::string request_id;
  std::string card_product_id;
  std::string card_level;
  std::string name;
  std::optional<std::string> remark;
  std::string currency;
  std::string status;  // NORMAL | FROZEN
  std::int64_t owed_minor = 0;
  std::int64_t created_at_ms = 0;
};

struct QuotaOrderRecord {
  std::string order_no;
  std::string share_quota_id;
  std::string merchant_id;
  std::optional<std::string> request_id;
  std::string kind;  // ADJUSTMENT | FEE
  std::int64_t amount_minor = 0;
  std::string status;
  std::optional<std::string> remark;
  std::int64_t transaction_time_ms = 0;
};

// What the cards under a quota may still spend and may spend in all.
struct QuotaCardTotals {
  std::int64_t cap_remaining_minor = 0;  // sum of (cap - used) over live cards
  std::int64_t cap_total_minor = 0;      // sum of caps over live cards
  std::int64_t card_count = 0;           // cards issued under it, canceled ones excluded
};

struct QuotaOrderFilter {
  std::string merchant_id;
  std::string share_quota_id;  // "" for any
  std::string request_id;      // "" for any
  std::int64_t from_ms = 0;    // 0 for any
  std::int64_t to_ms = 0;      // 0 for any
};

class QuotaStore {
 public:
  // `cache`: the writer's hot rows (write_behind.h): served while it is hot, and forgotten
  // when written otherwise; nullptr for readers.
  explicit QuotaStore(Connection& connection, WriteBehind* cache = nullptr) : db_(connection), cache_(cache) {}
  Status insert(const BudgetQuotaRecord& quota);
  Status update(const BudgetQuotaRecord& quota);  // status, owed_minor
  Result<std::optional<BudgetQuotaRecord>> find(const std::string& merchant_id, const std::string& share_quota_id);
  // Loads every budget quota into the writer's cache (see Store::warm_cache).
  Status warm(WriteBehind& cache);
  Result<std::optional<BudgetQuotaRecord>> find_by_request(const std::string& merchant_id, const std::string& request_id);
  Result<std::vector<BudgetQuotaRecord>> list(const std::string& merchant_id, const std::string& share_quota_id,
                                              std::int64_t offset, std::int64_t limit);
  Result<std::int64_t> count(const std::string& merchant_id, const std::string& share_quota_id);
  Result<std::vector<BudgetQuotaRecord>> all();  // every quota, for the daily fee

  Result<QuotaCardTotals> card_totals(const std::string& share_quota_id);
  // Spent from the quota: captures and fees out, less refunds back in.
  Result<std::int64_t> total_usage_minor(const std::string& quota_account_id);

  Status insert_order(const QuotaOrderRecord& order);
  Result<std::vector<QuotaOrderRecord>> list_orders(const QuotaOrderFilter& filter, std::int64_t offset,
                                                    std::int64_t limit);
  Result<std::int64_t> count_orders(const QuotaOrderFilter& filter);

  // false when this quota's fee for `day` was already settled.
  Result<bool> claim_fee_day(const std::string& share_quota_id, const std::string& day, std::int64_t over_limit_minor,
                             std::int64_t fee_minor, std::int64_t charged_minor, std::int64_t now_ms);

  Result<std::optional<std::string>> setting(const std::string& name);
  Status set_setting(const std::string& name, const std::string& value);

 private:
  Connection& db_;
  WriteBehind* cache_;
};

}  // namespace issuerd::storage
