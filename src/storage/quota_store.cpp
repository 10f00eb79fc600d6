#include "storage/quota_store.h"

#include "common/assert.h"
#include "storage/sql_values.h"
#include "storage/write_behind.h"

namespace issuerd::storage {

namespace {

constexpr const char* quota_columns =
    "share_quota_id, merchant_id, request_id, card_product_id, card_level, name, remark, currency, status, "
    "owed_minor, created_at_ms";

BudgetQuotaRecord quota_from(const Row& r) {
  return BudgetQuotaRecord{r.text(0), r.text(1), r.text(2),     r.text(3),    r.text(4),    r.text(5),
                           r.optional_text(6), r.text(7), r.text(8), r.integer(9), r.integer(10)};
}

constexpr const char* order_columns =
    "order_no, share_quota_id, merchant_id, request_id, kind, amount_minor, status, remark, transaction_time_ms";

QuotaOrderRecord order_from(const Row& r) {
  return QuotaOrderRecord{r.text(0), r.text(1), r.text(2), r.optional_text(3), r.text(4),
                          r.integer(5), r.text(6), r.optional_text(7), r.integer(8)};
}

// Unused filters compare against themselves so one prepared statement serves them all.
constexpr const char* order_where =
    " WHERE merchant_id = ? AND (? = '' OR share_quota_id = ?) AND (? = '' OR request_id = ?) "
    "AND (? = CAST(0 AS BIGINT) OR transaction_time_ms >= ?) AND (? = CAST(0 AS BIGINT) OR transaction_time_ms <= ?)";

std::vector<SqlValue> order_params(const QuotaOrderFilter& f) {
  return {f.merchant_id, f.share_quota_id, f.share_quota_id, f.request_id, f.request_id,
          f.from_ms,     f.from_ms,        f.to_ms,          f.to_ms};
}

constexpr const char* quota_where = " WHERE merchant_id = ? AND (? = '' OR share_quota_id = ?)";

}  // namespace

Status QuotaStore::insert(const BudgetQuotaRecord& q) {
  ISSUERD_TRY(run_execute(db_, std::string("INSERT INTO budget_quotas (") + quota_columns +
                                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          {q.share_quota_id, q.merchant_id, q.request_id, q.card_product_id, q.card_level, q.name,
                           nullable(q.remark), q.currency, q.status, q.owed_minor, q.created_at_ms}));
  return Status::success();
}

Status QuotaStore::update(const BudgetQuotaRecord& q) {
  if (cache_ != nullptr) {
    ISSUERD_ASSERT(!cache_->serving());  // hot commands never change a quota
    cache_->forget_quota(q.share_quota_id);
  }
  ISSUERD_TRY(run_execute(db_, "UPDATE budget_quotas SET status = ?, owed_minor = ? WHERE share_quota_id = ?",
                          {q.status, q.owed_minor, q.share_quota_id}));
  return Status::success();
}

Result<std::optional<BudgetQuotaRecord>> QuotaStore::find(const std::string& merchant_id,
                                                          const std::string& share_quota_id) {
  const bool serving = cache_ != nullptr && cache_->serving();
  if (serving) {
    if (auto cached = cache_->quotas.find(share_quota_id); cached != cache_->quotas.end()) {
      if (cached->second.merchant_id != merchant_id) return std::optional<BudgetQuotaRecord>();
      return std::optional<BudgetQuotaRecord>(cached->second);
    }
  }
  ISSUERD_ASSIGN(auto rows, run_query(db_, std::string("SELECT ") + quota_columns +
                                               " FROM budget_quotas WHERE merchant_id = ? AND share_quota_id = ?",
                                      {merchant_id, share_quota_id}));
  if (rows.empty()) return std::optional<BudgetQuotaRecord>();
  BudgetQuotaRecord quota = quota_from(rows[0]);
  if (serving) cache_->quotas.emplace(share_quota_id, quota);
  return std::optional<BudgetQuotaRecord>(std::move(quota));
}

Status QuotaStore::warm(WriteBehind& cache) {
  ISSUERD_ASSIGN(auto rows, run_query(db_, std::string("SELECT ") + quota_columns + " FROM budget_quotas", {}));
  for (const Row& row : rows) {
    BudgetQuotaRecord quota = quota_from(row);
    cache.quotas.emplace(quota.share_quota_id, std::move(quota));
  }
  return Status::success();
}

Result<std::optional<BudgetQuotaRecord>> QuotaStore::find_by_request(const std::string& merchant_id,
                                                                     const std::string& request_id) {
  ISSUERD_ASSIGN(auto rows, run_query(db_, std::string("SELECT ") + quota_columns +
                                               " FROM budget_quotas WHERE merchant_id = ? AND request_id = ?",
                                      {merchant_id, request_id}));
  if (rows.empty()) return std::optional<BudgetQuotaRecord>();
  return std::optional<BudgetQuotaRecord>(quota_from(rows[0]));
}

Result<std::vector<BudgetQuotaRecord>> QuotaStore::list(const std::string& merchant_id,
                                                        const std::string& share_quota_id, std::int64_t offset,
                                                        std::int64_t limit) {
  ISSUERD_ASSIGN(auto rows, run_query(db_, std::string("SELECT ") + quota_columns + " FROM budget_quotas" + quota_where +
                                               " ORDER BY created_at_ms DESC, share_quota_id DESC LIMIT ? OFFSET ?",
                                      {merchant_id, share_quota_id, share_quota_id, limit, offset}));
  std::vector<BudgetQuotaRecord> quotas;
  for (const Row& row : rows) quotas.push_back(quota_from(row));
  return quotas;
}

Result<std::int64_t> QuotaStore::count(const std::string& merchant_id, const std::string& share_quota_id) {
  ISSUERD_ASSIGN(auto rows, run_query(db_, std::string("SELECT COUNT(*) FROM budget_quotas") + quota_where,
                                      {merchant_id, share_quota_id, share_quota_id}));
  return rows[0].integer(0);
}

Result<std::vector<BudgetQuotaRecord>> QuotaStore::all() {
  ISSUERD_ASSIGN(auto rows, run_query(db_, std::string("SELECT ") + quota_columns +
                                               " FROM budget_quotas ORDER BY share_quota_id", {}));
  std::vector<BudgetQuotaRecord> quotas;
  for (const Row& row : rows) quotas.push_back(quota_from(row));
  return quotas;
}

Result<QuotaCardTotals> QuotaStore::card_totals(const std::string& share_quota_id) {
  ISSUERD_ASSIGN(auto rows,
                 run_query(db_,
                           "SELECT COALESCE(SUM(COALESCE(cap_limit_minor, 0) - cap_used_minor), 0), "
                           "COALESCE(SUM(COALESCE(cap_limit_minor, 0)), 0), COUNT(*) FROM cards "
                           "WHERE share_quota_id = ? AND card_status <> 'CANCELED'",
                           {share_quota_id}));
  return QuotaCardTotals{rows[0].integer(0), rows[0].integer(1), rows[0].integer(2)};
}

Result<std::int64_t> QuotaStore::total_usage_minor(const std::string& quota_account_id) {
  // `kind <> 'authorization'` lets the partial indexes transfers_by_debit and
  // transfers_by_credit serve the two sums.
  ISSUERD_ASSIGN(auto rows, run_query(db_,
                                      "SELECT (SELECT COALESCE(SUM(amount_minor), 0) FROM transfers WHERE "
                                      "debit_account_id = ? AND kind <> 'authorization' AND "
                                      "kind IN ('capture', 'fx_fee', 'over_limit_fee') AND status = 'posted') - "
                                      "(SELECT COALESCE(SUM(amount_minor), 0) FROM transfers WHERE "
                                      "credit_account_id = ? AND kind <> 'authorization' AND kind = 'refund' AND "
                                      "status = 'posted')",
                                      {quota_account_id, quota_account_id}));
  return rows[0].integer(0);
}

Status QuotaStore::insert_order(const QuotaOrderRecord& o) {
  ISSUERD_TRY(run_execute(db_, std::string("INSERT INTO quota_orders (") + order_columns +
                                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          {o.order_no, o.share_quota_id, o.merchant_id, nullable(o.request_id), o.kind, o.amount_minor,
                           o.status, nullable(o.remark), o.transaction_time_ms}));
  return Status::success();
}

Result<std::vector<QuotaOrderRecord>> QuotaStore::list_orders(const QuotaOrderFilter& filter, std::int64_t offset,
                                                              std::int64_t limit) {
  std::vector<SqlValue> params = order_params(filter);
  params.emplace_back(limit);
  params.emplace_back(offset);
  ISSUERD_ASSIGN(auto rows, db_.query(std::string("SELECT ") + order_columns + " FROM quota_orders" + order_where +
                                          " ORDER BY transaction_time_ms DESC, order_no DESC LIMIT ? OFFSET ?",
                                      params));
  std::vector<QuotaOrderRecord> orders;
  for (const Row& row : rows) orders.push_back(order_from(row));
  return orders;
}

Result<std::int64_t> QuotaStore::count_orders(const QuotaOrderFilter& filter) {
  const std::vector<SqlValue> params = order_params(filter);
  ISSUERD_ASSIGN(auto rows, db_.query(std::string("SELECT COUNT(*) FROM quota_orders") + order_where, params));
  return rows[0].integer(0);
}

Result<bool> QuotaStore::claim_fee_day(const std::string& share_quota_id, const std::string& day,
                                       std::int64_t over_limit_minor, std::int64_t fee_minor,
                                       std::int64_t charged_minor, std::int64_t now_ms) {
  ISSUERD_ASSIGN(std::int64_t inserted,
                 run_execute(db_, "INSERT INTO quota_fee_days (share_quota_id, day, over_limit_minor, fee_minor, "
                                  "charged_minor, created_at_ms) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                             {share_quota_id, day, over_limit_minor, fee_minor, charged_minor, now_ms}));
  return inserted == 1;
}

Result<std::optional<std::string>> QuotaStore::setting(const std::string& name) {
  ISSUERD_ASSIGN(auto rows, run_query(db_, "SELECT value FROM settings WHERE name = ?", {name}));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows[0].text(0));
}

Status QuotaStore::set_setting(const std::string& name, const std::string& value) {
  ISSUERD_TRY(run_execute(db_, "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET "
                               "value = excluded.value",
                          {name, value}));
  return Status::success();
}

}  // namespace issuerd::storage
