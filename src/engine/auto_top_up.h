// AdPos auto top-up, run after a transaction has changed what a card can spend:
// - a standard card whose spendable balance fell below its minimum receives its top-up
//   amount from the merchant's main account; when the main account is short nothing moves,
//   and the failure is recorded (a REJECT top-up transaction) and called back;
// - a capped card whose remaining cap fell below its minimum has its remaining cap reset
//   to the configured amount (no money moves: the cap only limits spending).
#pragma once

#include <cstdint>

#include "storage/store.h"

namespace issuerd::engine {

// Whether the card is set up for auto top-up at all.
bool has_auto_top_up(const storage::CardRecord& card);

// `card` as it stands after the transaction (the caller has it at hand).
Status apply_auto_top_up(storage::Store& store, const storage::CardRecord& card, std::int64_t now_ms);

}  // namespace issuerd::engine
