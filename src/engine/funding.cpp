#include "engine/funding.h"

#include <algorithm>

namespace issuerd::engine {

Result<FundingSource> funding_source(storage::Store& store, const storage::CardRecord& card) {
  if (card.funding_kind == "card_balance") {
    return FundingSource{{domain::AccountKind::card, card.card_id, card.currency}, false};
  }
  if (card.funding_kind == "merchant_main") {
    return FundingSource{{domain::AccountKind::merchant_main, card.merchant_id, card.currency}, false};
  }
  if (card.funding_kind == "budget_quota" && card.share_quota_id) {
    ISSUERD_ASSIGN(auto quota, store.quotas().find(card.merchant_id, *card.share_quota_id));
    if (!quota) return make_error(ErrorKind::internal, "quota_missing", "the card's budget quota is gone");
    return FundingSource{{domain::AccountKind::budget_quota, quota->share_quota_id, quota->currency},
                         quota->status == "FROZEN"};
  }
  return make_error(ErrorKind::internal, "funding_kind_unknown", "unknown funding kind " + card.funding_kind);
}

Result<std::int64_t> spendable_minor(storage::Store& store, const storage::CardRecord& card, std::int64_t now_ms) {
  ISSUERD_ASSIGN(FundingSource source, funding_source(store, card));
  ISSUERD_ASSIGN(domain::Account account,
                 store.find_or_create_account(source.account.kind, source.account.owner_id, source.account.currency,
                                              now_ms));
  return spendable_minor(card, account);
}

std::int64_t spendable_minor(const storage::CardRecord& card, const domain::Account& source) {
  std::int64_t spendable = std::max<std::int64_t>(source.available_minor(), 0);
  if (card.cap_limit_minor) spendable = std::min(spendable, std::max<std::int64_t>(*card.cap_limit_minor - card.cap_used_minor, 0));
  return spendable;
}

Status adjust_cap_use(storage::Store& store, storage::CardRecord& card, std::int64_t delta_minor, std::int64_t now_ms) {
  if (!card.cap_limit_minor || delta_minor == 0) return Status::success();
  card.cap_used_minor = std::max<std::int64_t>(card.cap_used_minor + delta_minor, 0);
  card.updated_at_ms = now_ms;
  return store.cards().update_card(card);
}

}  // namespace issuerd::engine
