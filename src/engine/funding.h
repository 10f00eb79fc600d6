// A card's funding source: the one ledger account its spending holds and debits. Today a
// standard card's own balance; budget quotas and the merchant's main account join here.
#pragma once

#include "engine/transfers.h"
#include "storage/card_store.h"

namespace issuerd::engine {

// failed_precondition "funding_kind_not_supported" for kinds not wired yet.
Result<AccountRef> funding_source(const storage::CardRecord& card);

}  // namespace issuerd::engine
