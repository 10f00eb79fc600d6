#include "engine/quotas.h"

#include <algorithm>

#include "common/ids.h"
#include "common/rate.h"
#include "engine/transfers.h"

namespace issuerd::engine {

namespace {

AccountRef quota_account(const storage::BudgetQuotaRecord& quota) {
  return {domain::AccountKind::budget_quota, quota.share_quota_id, quota.currency};
}

AccountRef main_account(const storage::BudgetQuotaRecord& quota) {
  return {domain::AccountKind::merchant_main, quota.merchant_id, quota.currency};
}

Status record_order(storage::Store& store, const storage::BudgetQuotaRecord& quota, std::string kind,
                    std::int64_t amount_minor, std::optional<std::string> request_id,
                    std::optional<std::string> remark, std::int64_t now_ms, std::string order_no) {
  return store.quotas().insert_order(storage::QuotaOrderRecord{std::move(order_no), quota.share_quota_id,
                                                               quota.merchant_id, std::move(request_id),
                                                               std::move(kind), amount_minor, "SUCCESS",
                                                               std::move(remark), now_ms});
}

// Owed fees come out of new funding first.
Status collect_owed(storage::Store& store, storage::BudgetQuotaRecord& quota, std::int64_t now_ms) {
  if (quota.owed_minor == 0) return Status::success();
  ISSUERD_ASSIGN(domain::Account account, store.find_or_create_account(domain::AccountKind::budget_quota,
                                                                       quota.share_quota_id, quota.currency, now_ms));
  const std::int64_t paid = std::min(quota.owed_minor, std::max<std::int64_t>(account.available_minor(), 0));
  if (paid == 0) return Status::success();
  const std::string order_no = next_id();
  ISSUERD_TRY(post_transfer(store, quota_account(quota), {domain::AccountKind::fee_revenue, "", quota.currency}, paid,
                            "over_limit_fee", order_no, now_ms));
  quota.owed_minor -= paid;
  ISSUERD_TRY(store.quotas().update(quota));
  return record_order(store, quota, "FEE", -paid, std::nullopt, std::string("owed over-limit fees"), now_ms, order_no);
}

}  // namespace

Result<QuotaView> view_quota(storage::Store& store, const storage::BudgetQuotaRecord& quota, std::int64_t now_ms) {
  QuotaView view{quota, 0, 0, 0, {}};
  ISSUERD_ASSIGN(domain::Account account, store.find_or_create_account(domain::AccountKind::budget_quota,
                                                                       quota.share_quota_id, quota.currency, now_ms));
  view.available_minor = account.available_minor();
  view.held_minor = account.held_minor;
  ISSUERD_ASSIGN(view.used_minor, store.quotas().total_usage_minor(account.account_id));
  ISSUERD_ASSIGN(view.cards, store.quotas().card_totals(quota.share_quota_id));
  return view;
}

Result<storage::QuotaOrderRecord> adjust_quota(storage::Store& store, storage::BudgetQuotaRecord quota,
                                               std::int64_t amount_minor, const std::string& request_id,
                                               const std::optional<std::string>& remark, std::int64_t now_ms) {
  if (quota.status == "FROZEN") {
    return make_error(ErrorKind::failed_precondition, "quota_frozen", "the budget quota is frozen");
  }
  const std::string order_no = next_id();
  if (amount_minor > 0) {
    ISSUERD_TRY(post_transfer(store, main_account(quota), quota_account(quota), amount_minor, "quota_funding", order_no,
                              now_ms));
  } else {
    ISSUERD_ASSIGN(domain::Account account, store.find_or_create_account(domain::AccountKind::budget_quota,
                                                                         quota.share_quota_id, quota.currency, now_ms));
    if (account.available_minor() - quota.owed_minor < -amount_minor) {
      return make_error(ErrorKind::failed_precondition, "quota_min_check_fail",
                        "the quota keeps what is held and owed; it cannot give back that much");
    }
    ISSUERD_TRY(post_transfer(store, quota_account(quota), main_account(quota), -amount_minor, "quota_defunding",
                              order_no, now_ms));
  }
  ISSUERD_TRY(record_order(store, quota, "ADJUSTMENT", amount_minor, request_id, remark, now_ms, order_no));
  if (amount_minor > 0) ISSUERD_TRY(collect_owed(store, quota, now_ms));
  return storage::QuotaOrderRecord{order_no, quota.share_quota_id, quota.merchant_id, request_id, "ADJUSTMENT",
                                   amount_minor, "SUCCESS", remark, now_ms};
}

Result<DailyFee> charge_daily_fee(storage::Store& store, storage::BudgetQuotaRecord quota, const std::string& day,
                                  std::int64_t now_ms) {
  ISSUERD_ASSIGN(QuotaView view, view_quota(store, quota, now_ms));
  ISSUERD_ASSIGN(auto product, store.find_card_product(quota.card_product_id));
  DailyFee fee;
  fee.over_limit_minor = std::max<std::int64_t>(view.cards.cap_remaining_minor - view.available_minor, 0);
  if (product && fee.over_limit_minor > 0) {
    ISSUERD_ASSIGN(std::int64_t rate_ppb, parse_rate_ppb(product->over_limit_fee_rate_daily, "rate", rate_one_ppb));
    ISSUERD_ASSIGN(fee.fee_minor, apply_rate(fee.over_limit_minor, rate_ppb));
  }
  fee.charged_minor = std::min(fee.fee_minor, std::max<std::int64_t>(view.available_minor, 0));
  ISSUERD_ASSIGN(bool first, store.quotas().claim_fee_day(quota.share_quota_id, day, fee.over_limit_minor,
                                                          fee.fee_minor, fee.charged_minor, now_ms));
  if (!first) {
    fee.already_charged = true;
    return fee;
  }
  if (fee.fee_minor == 0) return fee;
  const std::string order_no = next_id();
  if (fee.charged_minor > 0) {
    ISSUERD_TRY(post_transfer(store, quota_account(quota), {domain::AccountKind::fee_revenue, "", quota.currency},
                              fee.charged_minor, "over_limit_fee", order_no, now_ms));
  }
  quota.owed_minor += fee.fee_minor - fee.charged_minor;
  ISSUERD_TRY(store.quotas().update(quota));
  ISSUERD_TRY(record_order(store, quota, "FEE", -fee.charged_minor, std::nullopt,
                           "over-limit fee for " + day, now_ms, order_no));
  return fee;
}

}  // namespace issuerd::engine
