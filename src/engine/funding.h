// A card's funding source: the one ledger account its spending holds and debits, and the
// card's own spending cap when it has one.
// - card_balance: the card's own balance account; no cap.
// - budget_quota: the quota's account, and the card's cap (raised by top-ups); a frozen
//   quota blocks spending.
// - merchant_main: the merchant's main account (AdPos shared cards), cap optional.
#pragma once

#include <optional>

#include "engine/transfers.h"
#include "storage/store.h"

namespace issuerd::engine {

struct FundingSource {
  AccountRef account;
  bool frozen = false;  // the quota behind the card is frozen
};

Result<FundingSource> funding_source(storage::Store& store, const storage::CardRecord& card);

// What the card may spend now: its source's available balance, within the card's cap.
Result<std::int64_t> spendable_minor(storage::Store& store, const storage::CardRecord& card, std::int64_t now_ms);
// The same from the source's account as already loaded.
std::int64_t spendable_minor(const storage::CardRecord& card, const domain::Account& source);

// Cap bookkeeping: a card's cap use moves with its holds, captures and refunds.
// `delta_minor` may be negative; use never drops below zero. No-op for an uncapped card.
Status adjust_cap_use(storage::Store& store, storage::CardRecord& card, std::int64_t delta_minor, std::int64_t now_ms);

}  // namespace issuerd::engine
